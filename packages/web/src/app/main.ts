import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { i18n } from '../i18n/index.js';
import { router } from './router.js';
import { useSettingsStore } from '../features/me/settings.store.js';
import { client } from '../sdk/client.js';
import { provideClient } from '../sdk/current-client.js';
import '../styles/base.css';

// The one composition root: the browser's SDK client goes to the stores before any store starts.
provideClient(client);

const app = createApp(App).use(createPinia()).use(i18n).use(router);
useSettingsStore(); // applies the theme and language at once
app.mount('#app');
