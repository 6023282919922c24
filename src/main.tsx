import '@mantine/core/styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app';
import { preloadRoute } from './app/preload-route';
import { createQueryClient } from './app/query-client';
import { storedLanguage } from './i18n/languages';
import { loadLanguage } from './i18n/load';

const root = document.getElementById('root');
if (!root) throw new Error('The page has no #root element.');
const queryClient = createQueryClient();
// The session read (and, once it allows, the route's reads) start now, not after the first render.
preloadRoute(queryClient, window.location.pathname);
// The chosen language's catalog (its own small chunk) loads alongside those reads.
void loadLanguage(storedLanguage()).then(
  () =>
    createRoot(root).render(
      <StrictMode>
        <App queryClient={queryClient} />
      </StrictMode>,
    ),
  () => {
    // Without a catalog nothing can be said in the analyst's language: say it in both.
    root.textContent =
      'The console could not load its language file. Reload the page. / 无法加载界面语言文件，请重新加载页面。';
  },
);
