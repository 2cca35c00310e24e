/**
 * The state and rules of the sign-in forms (log in, sign up, reset the password): the values,
 * per-field errors, client checks, the "send code" countdown and the submit that calls the
 * session store. The view only lays the fields out.
 */
import { MyChatError, type Destination } from '@mychat/sdk';
import { computed, nextTick, onBeforeUnmount, reactive, ref, watch } from 'vue';
import { useI18n } from 'vue-i18n';
import { useRoute, useRouter } from 'vue-router';
import type TextField from '../../ui/TextField.vue';
import { errorField, errorText } from '../../lib/errors.js';
import { check, normalizePhone, rules, type Rule } from '../../lib/validate.js';
import { useSessionStore } from './session.store.js';
import { sessionEndedText } from '../../i18n/first-hour.js';

export type AuthMode = 'login' | 'register' | 'forgot';
type Field = 'email' | 'phone' | 'password' | 'code' | 'nickname';

export function useAuthForm(mode: () => AuthMode) {
  const { t } = useI18n();
  const router = useRouter();
  const route = useRoute();
  const session = useSessionStore();

  const method = ref<'email' | 'phone'>('email');
  const useCode = ref(false);
  const values = reactive<Record<Field, string>>({
    email: '',
    phone: '',
    password: '',
    code: '',
    nickname: '',
  });
  const errors = reactive<Partial<Record<Field, string>>>({});
  const formError = ref('');
  // Sent here because the session ended elsewhere: say why (cleared by the next notice).
  const endedReason = typeof route.query.ended === 'string' ? route.query.ended : '';
  const notice = ref(endedReason && mode() === 'login' ? sessionEndedText(endedReason) : '');
  const busy = ref(false);
  const countdown = ref(0);
  let timer: ReturnType<typeof setInterval> | undefined;

  const fields = ref<Partial<Record<Field, InstanceType<typeof TextField>>>>({});
  const setRef = (f: Field) => (el: unknown) => {
    if (el) fields.value[f] = el as InstanceType<typeof TextField>;
  };

  const needsCode = computed(() => mode() !== 'login' || useCode.value);
  const needsPassword = computed(() => mode() !== 'login' || !useCode.value);
  /** The fields this form shows, in order (the first failing one gets focus). */
  const active = computed<Field[]>(() => {
    const list: Field[] = [method.value];
    if (mode() === 'register') list.push('nickname');
    if (needsCode.value) list.push('code');
    if (needsPassword.value) list.push('password');
    return list;
  });
  const RULES: Record<Field, Rule[]> = {
    email: [rules.email],
    phone: [rules.phone],
    password: [rules.password],
    code: [rules.code],
    nickname: [rules.nickname],
  };
  function validate(f: Field): boolean {
    // Logging in only needs a password that is there; its strength is the server's business.
    const list = f === 'password' && mode() === 'login' ? [] : RULES[f];
    const key = check(values[f], list);
    if (key) errors[f] = t(key);
    else delete errors[f];
    return !key;
  }
  function onBlur(f: Field) {
    if (values[f]) validate(f);
  }
  watch(
    () => ({ ...values }),
    (now, before) => {
      // Fixing a field clears its error as the person types (re-checked on blur and submit).
      for (const f of Object.keys(now) as Field[]) if (now[f] !== before[f] && errors[f]) validate(f);
    },
  );
  watch([method, () => mode(), useCode], () => {
    for (const k of Object.keys(errors)) delete errors[k as Field];
    formError.value = '';
  });

  function focusFirstError() {
    const first = active.value.find((f) => errors[f]);
    if (first) void nextTick(() => fields.value[first]?.focus());
  }

  const destination = (): Destination =>
    method.value === 'email' ? { email: values.email.trim() } : { phone: normalizePhone(values.phone) };

  function showServerError(err: unknown) {
    // Several wrong fields at once (a weak password and a wrong code): each under its field.
    const all = err instanceof MyChatError && err.violations.length > 1 ? err.violations : [];
    const shown = all.filter((v) => active.value.includes(v.field as Field));
    if (shown.length) {
      for (const v of shown) errors[v.field as Field] = errorText(new MyChatError('', v.reason, v.field));
      return focusFirstError();
    }
    const field = errorField(err) as Field | undefined;
    const text = errorText(err);
    if (field && active.value.includes(field)) {
      errors[field] = text;
      focusFirstError();
    } else formError.value = text;
  }

  async function sendCode() {
    formError.value = '';
    if (!validate(method.value)) return focusFirstError();
    const purpose = mode() === 'register' ? 'register' : mode() === 'forgot' ? 'reset-password' : 'login';
    try {
      const r = await session.sendCode(destination(), purpose);
      notice.value = t('auth.codeSent', {
        to: method.value === 'email' ? values.email.trim() : values.phone,
      });
      startCountdown(r.resendAfterSeconds || 60);
      void nextTick(() => fields.value.code?.focus());
    } catch (err) {
      showServerError(err);
    }
  }
  function startCountdown(s: number) {
    countdown.value = s;
    clearInterval(timer);
    timer = setInterval(() => {
      if (--countdown.value <= 0) clearInterval(timer);
    }, 1000);
  }
  onBeforeUnmount(() => clearInterval(timer));

  async function submit() {
    formError.value = '';
    const ok = active.value.map(validate).every(Boolean);
    if (!ok) return focusFirstError();
    busy.value = true;
    try {
      const to = destination();
      if (mode() === 'register') {
        await session.register({
          to,
          code: values.code.trim(),
          password: values.password,
          nickname: values.nickname.trim(),
        });
      } else if (mode() === 'login') {
        await session.login(
          useCode.value ? { to, code: values.code.trim() } : { to, password: values.password },
        );
      } else {
        await session.resetPassword({ to, code: values.code.trim(), newPassword: values.password });
        notice.value = t('auth.resetDone');
        await router.replace({ path: '/login' });
        return;
      }
      const next =
        typeof route.query.next === 'string' && route.query.next.startsWith('/') ? route.query.next : '/';
      await router.replace(next);
    } catch (err) {
      showServerError(err);
    } finally {
      busy.value = false;
    }
  }

  return {
    method,
    useCode,
    values,
    errors,
    formError,
    notice,
    busy,
    countdown,
    setRef,
    needsCode,
    needsPassword,
    onBlur,
    sendCode,
    submit,
  };
}
