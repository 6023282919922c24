/**
 * The console's configuration mapped onto its embedded emulator's settings: the emulator reads
 * no console configuration, the console tells it what to accept.
 */
import { DEMO_AK, DEMO_SK, type EmulatorAuth } from 'secmaster-emulator';
import type { Config } from './config';

/** The emulator's auth from the configuration (EMULATOR_AUTH and the console's credentials). */
export function emulatorAuthFromConfig(
  config: Pick<Config, 'emulatorAuth' | 'credentials'>,
): EmulatorAuth {
  const values = config.credentials?.reveal() ?? null;
  switch (config.emulatorAuth) {
    case 'none':
      return { mode: 'none' };
    case 'token':
      if (values?.kind !== 'token')
        throw new Error('EMULATOR_AUTH=token needs SECMASTER_AUTH_TOKEN');
      return { mode: 'token', token: values.token };
    case 'aksk': {
      // The emulator's demo pair always works against it; CLOUD_SDK_AK/SK too when set.
      const credentials: Record<string, string> = { [DEMO_AK]: DEMO_SK };
      if (values?.kind === 'aksk') credentials[values.ak] = values.sk;
      return { mode: 'aksk', credentials };
    }
  }
}
