import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { useChatStore } from '../features/chat/chat.store.js';
import { useSessionStore } from '../features/auth/session.store.js';
// The chat screen is what almost every visit opens: in the main bundle, no lazy-chunk waterfall.
import ChatsView from '../features/chat/ChatsView.vue';
import EmptyPane from './EmptyPane.vue';
import { discoverRoute } from '../features/moments/routes.js';
import { loadSocialMessages } from '../i18n/index.js';
import { adminRoute } from '../features/admin/routes.js';
import { e2eeRoute } from '../features/e2ee/routes.js';
import MainLayout from './MainLayout.vue';
import { loadRoomsMessages } from '../i18n/index.js';

const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    component: () => import('../features/auth/AuthView.vue'),
    props: { mode: 'login' },
    meta: { guest: true },
  },
  {
    path: '/register',
    component: () => import('../features/auth/AuthView.vue'),
    props: { mode: 'register' },
    meta: { guest: true },
  },
  {
    path: '/forgot',
    component: () => import('../features/auth/AuthView.vue'),
    props: { mode: 'forgot' },
    meta: { guest: true },
  },
  // A performance test page: the real message list with 10 000 generated messages (no server).
  // Only in `vite` (dev) and the perf test's `vite build --mode bench`: never in a production
  // build (MODE is replaced at build time, so the page is not even in its chunks).
  ...(import.meta.env.DEV || import.meta.env.MODE === 'bench'
    ? [
        { path: '/dev/scroll', component: () => import('./ScrollBench.vue'), meta: { open: true } },
        { path: '/dev/e2ee', component: () => import('./E2eeBench.vue'), meta: { open: true } },
      ]
    : []),
  {
    path: '/',
    component: MainLayout,
    children: [
      {
        path: '',
        component: ChatsView,
        children: [
          { path: '', name: 'chats', component: EmptyPane, props: { kind: 'chats' } },
          {
            path: 'chat/:id',
            name: 'chat',
            component: () => import('../features/chat/ChatView.vue'),
            props: true,
            // An encrypted chat opens on its own page (messages are opened on the device).
            beforeEnter: (to) => {
              const c = useChatStore().conversations[String(to.params.id)];
              return c?.type === 'encrypted' ? `/secret/${c.peerId}` : true;
            },
          },
          e2eeRoute,
        ],
      },
      {
        path: 'contacts',
        component: () => import('../features/contacts/ContactsView.vue'),
        children: [
          {
            path: '',
            name: 'contacts',
            component: () => import('./EmptyPane.vue'),
            props: { kind: 'contacts' },
          },
          {
            path: 'user/:id',
            name: 'friend',
            component: () => import('../features/contacts/FriendDetail.vue'),
            props: true,
          },
          {
            path: 'group/:id',
            name: 'group',
            component: () => import('../features/contacts/GroupDetail.vue'),
            props: true,
          },
          {
            path: 'new-group',
            name: 'new-group',
            component: () => import('../features/contacts/NewGroup.vue'),
          },
        ],
      },
      discoverRoute,
      // "My files" is lazy: most visits never open it.
      {
        path: 'files/:folderId?',
        name: 'files',
        component: () => import('../features/drive/DriveView.vue'),
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
      {
        path: 'room/:id',
        name: 'room',
        component: () => loadRoomsMessages().then(() => import('../features/rooms/RoomView.vue')),
        props: true,
      },
      { path: 'me', name: 'me', component: () => import('../features/me/MeView.vue') },
      {
        path: 'me/favorites',
        name: 'favorites',
        component: () => loadSocialMessages().then(() => import('../features/social/FavoritesView.vue')),
      },
      { path: 'settings', name: 'settings', component: () => import('../features/me/SettingsView.vue') },
      {
        path: 'add/:id(\\d+)',
        name: 'add-friend',
        component: () => loadSocialMessages().then(() => import('../features/social/AddFriendView.vue')),
        props: true,
      },
      {
        path: 'join/:token',
        name: 'join',
        component: () => import('../features/contacts/JoinView.vue'),
        props: true,
      },
    ],
  },
  adminRoute,
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
