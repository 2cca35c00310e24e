import type { RouteRecordRaw } from 'vue-router';
import { loadMomentsMessages, loadSquareMessages } from '../../i18n/index.js';
import { SQUARE_ROUTES, squareRoutes } from '../square/routes.js';

/** The Discover tab's pages (all lazy, their strings too: most visits never open them). */
export const discoverRoute: RouteRecordRaw = {
  path: 'discover',
  component: () =>
    Promise.all([loadMomentsMessages(), loadSquareMessages()]).then(() => import('./DiscoverView.vue')),
  children: [
    // On a desktop the feed is open beside the list; on a phone the list shows alone.
    { path: '', name: 'discover', component: () => import('./MomentsFeed.vue') },
    { path: 'moments', name: 'moments', component: () => import('./MomentsFeed.vue') },
    { path: 'notices', name: 'moment-notices', component: () => import('./MomentNotices.vue') },
    { path: 'new', name: 'moment-compose', component: () => import('./MomentComposer.vue') },
    { path: 'album/:id', name: 'album', component: () => import('./AlbumView.vue'), props: true },
    { path: 'moment/:id', name: 'moment', component: () => import('./MomentView.vue'), props: true },
    ...squareRoutes,
  ],
};

/** Pages that cover the whole screen on a phone (the tabs hide). */
export const DISCOVER_DETAIL = [
  'moments',
  'moment-notices',
  'moment-compose',
  'album',
  'moment',
  ...SQUARE_ROUTES,
];
/** Every page of the tab. */
export const DISCOVER_ROUTES = ['discover', ...DISCOVER_DETAIL];
