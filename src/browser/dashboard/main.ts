/**
 * The dashboard's browser entry (bundled to /app.js): listens to the store's event stream and draws
 * the page the server named in body[data-page]: home (runs), run, compare (and the study), jobs, one job, or the view browser.
 */
import { comparePage } from './compare.js';
import { home } from './home.js';
import { jobPage } from './job.js';
import { jobsPage } from './jobs.js';
import { body, listen } from './page.js';
import { runPage } from './run.js';
import { viewsPage } from './views.js';

listen();
const pages: Record<string, () => void> = { home, run: runPage, compare: comparePage, jobs: jobsPage, job: jobPage, views: viewsPage };
pages[body.dataset.page ?? '']?.();
