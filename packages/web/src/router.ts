import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { useChatStore } from './stores/chat.js';
import { useSessionStore } from './stores/session.js';
// The chat screen is what almost every visit opens: in the main bundle, no lazy-chunk waterfall.
import ChatView from './views/ChatView.vue';
import ChatsView from './views/ChatsView.vue';
import EmptyPane from './views/EmptyPane.vue';
import MainLayout from './views/MainLayout.vue';

const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    component: () => import('./views/AuthView.vue'),
    props: { mode: 'login' },
    meta: { guest: true },
  },
  {
    path: '/register',
    component: () => import('./views/AuthView.vue'),
    props: { mode: 'register' },
    meta: { guest: true },
  },
  {
    path: '/forgot',
    component: () => import('./views/AuthView.vue'),
    props: { mode: 'forgot' },
    meta: { guest: true },
  },
  // A performance test page: the real message list with 10 000 generated messages (no server).
  { path: '/dev/scroll', component: () => import('./views/ScrollBench.vue'), meta: { open: true } },
  {
    path: '/',
    component: MainLayout,
    children: [
      {
        path: '',
        component: ChatsView,
        children: [
          { path: '', name: 'chats', component: EmptyPane, props: { kind: 'chats' } },
          { path: 'chat/:id', name: 'chat', component: ChatView, props: true },
        ],
      },
      {
        path: 'contacts',
        component: () => import('./views/ContactsView.vue'),
        children: [
          {
            path: '',
            name: 'contacts',
            component: () => import('./views/EmptyPane.vue'),
            props: { kind: 'contacts' },
          },
          {
            path: 'user/:id',
            name: 'friend',
            component: () => import('./views/FriendDetail.vue'),
            props: true,
          },
          {
            path: 'group/:id',
            name: 'group',
            component: () => import('./views/GroupDetail.vue'),
            props: true,
          },
          { path: 'new-group', name: 'new-group', component: () => import('./views/NewGroup.vue') },
        ],
      },
      // "My files" is lazy: most visits never open it.
      {
        path: 'files/:folderId?',
        name: 'files',
        component: () => import('./views/DriveView.vue'),
        props: true,
      },
      // The pinned "File transfer" entry: created on first use, then it is a chat like any other.
      {
        path: 'file-transfer',
        name: 'file-transfer',
        component: EmptyPane,
        beforeEnter: async () => {
          try {
            return { name: 'chat', params: { id: await useChatStore().fileTransfer() }, replace: true };
          } catch {
            return { name: 'chats' };
          }
        },
      },
      { path: 'me', name: 'me', component: () => import('./views/MeView.vue') },
      { path: 'settings', name: 'settings', component: () => import('./views/SettingsView.vue') },
      { path: 'join/:token', name: 'join', component: () => import('./views/JoinView.vue'), props: true },
    ],
  },
  { path: '/:rest(.*)*', redirect: '/' },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  const session = useSessionStore();
  if (!session.checked) await session.restore();
  if (to.meta.open) return true;
  if (to.meta.guest) return session.signedIn ? '/' : true;
  if (!session.signedIn) return { path: '/login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} };
  return true;
});
