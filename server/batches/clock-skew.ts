/**
 * A preload for tests (`node --import tsx --import ./server/batches/clock-skew.ts …`): the process's
 * clock runs CLOCK_SKEW_MS milliseconds ahead (negative: behind), as on a machine whose clock is
 * off. two-servers.test.ts starts a second server 20 s ahead of the first.
 */
const skewMs = Number(process.env.CLOCK_SKEW_MS ?? '0');
const RealDate = Date;

class SkewedDate extends RealDate {
  constructor(...args: ConstructorParameters<DateConstructor> | []) {
    if (args.length === 0) super(RealDate.now() + skewMs);
    else super(...args);
  }

  static override now(): number {
    return RealDate.now() + skewMs;
  }
}

globalThis.Date = SkewedDate as DateConstructor;
