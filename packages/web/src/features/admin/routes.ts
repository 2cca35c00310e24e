import type { RouteRecordRaw } from 'vue-router';
import { i18n } from '../../i18n/index.js';

let messages: Promise<void> | undefined;
/** The console's strings, loaded with its pages (once; again after a failure). */
export function loadAdminMessages(): Promise<void> {
  messages ??= import('../../i18n/admin.js').then(
    (m) => {
      i18n.global.mergeLocaleMessage('en', m.adminEn);
      i18n.global.mergeLocaleMessage('zh-CN', m.adminZhCN);
    },
    (e: unknown) => {
      messages = undefined;
      throw e;
    },
  );
  return messages;
}

/** The operator's console at /admin: every page and string lazy (absent from the main bundle). */
export const adminRoute: RouteRecordRaw = {
  path: '/admin',
  component: () => loadAdminMessages().then(() => import('./AdminView.vue')),
  children: [
    { path: '', name: 'admin', component: () => import('./DashboardPage.vue') },
    { path: 'users', name: 'admin-users', component: () => import('./UsersPage.vue') },
    { path: 'groups', name: 'admin-groups', component: () => import('./GroupsPage.vue') },
    { path: 'reports', name: 'admin-reports', component: () => import('./ReportsPage.vue') },
    { path: 'notices', name: 'admin-notices', component: () => import('./NoticesPage.vue') },
    { path: 'stickers', name: 'admin-stickers', component: () => import('./StickersPage.vue') },
    { path: 'audit', name: 'admin-audit', component: () => import('./AuditPage.vue') },
  ],
};
