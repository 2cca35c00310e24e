import type { RouteRecordRaw } from 'vue-router';

/** The Square's pages under the Discover tab (lazy, as the tab's other pages). */
export const squareRoutes: RouteRecordRaw[] = [
  { path: 'square', name: 'square', component: () => import('./SquareBoards.vue') },
  { path: 'square/b/:id', name: 'square-board', component: () => import('./SquareBoard.vue'), props: true },
  { path: 'square/t/:id', name: 'square-thread', component: () => import('./SquareThread.vue'), props: true },
];

export const SQUARE_ROUTES = ['square', 'square-board', 'square-thread'];
