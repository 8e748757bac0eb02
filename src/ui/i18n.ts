// The texts of the pages, in English and Turkish. The locale comes from the authorization
// request's ui_locales, then Accept-Language, then the configured default.
import { secondFactorEn, secondFactorTr } from '../mfa/messages.ts';

export const LOCALES = ['en', 'tr'] as const;
export type Locale = (typeof LOCALES)[number];

const en = {
  sign_in: 'Sign in',
  sign_in_to: 'Sign in to continue to {client}',
  identifier: 'Username or email',
  password: 'Password',
  submit: 'Sign in',
  forgot_password: 'Forgot password?',
  show_password: 'Show password',
  cancel: 'Cancel',
  error_prefix: 'Error',
  invalid_credentials: 'Wrong username or password.',
  missing_identifier: 'Enter your username or email.',
  missing_password: 'Enter your password.',
  password_too_long: 'This password is longer than the {max} characters allowed.',
  identifier_too_long: 'This username is longer than the {max} characters allowed.',
  throttled: 'Too many failed attempts. Try again in {wait}, at {time} UTC.',
  legacy_unavailable: 'Sign-in is temporarily unavailable. Please try again in a few minutes.',
  unavailable_title: 'Sign-in is unavailable',
  request_too_large: 'The form sent is larger than any sign-in needs. Go back and try again.',
  throttled_short: 'Too many attempts. Please try again later.',
  repeated_parameter: 'The link that brought you here is not valid: a parameter is given more than once.',
  csrf: 'This form has expired. Please sign in again.',
  consent_title: 'Allow access',
  consent_intro: '{client} asks for access to:',
  allow: 'Allow',
  deny: 'Deny',
  scope_openid: 'Your identity',
  scope_email: 'Your email address',
  scope_profile: 'Your name and username',
  scope_offline_access: 'Staying signed in while you are away',
  logout_title: 'Sign out',
  logout_question: 'Do you want to sign out of {product}?',
  logout_yes: 'Yes, sign me out',
  logout_no: 'No, stay signed in',
  logged_out_title: 'Signed out',
  logged_out: 'You have been signed out.',
  logged_out_close: 'You can close this window now.',
  error_title: 'Something went wrong',
  error_generic: 'The request could not be completed.',
  error_code: 'Error code',
  error_back: 'Go back to the application and start again.',
  session_expired_title: 'This sign-in page has expired',
  session_expired: 'The sign-in took too long or was already completed.',
  error_back_link: 'Back to {client} to start again',
  consent_signed_in_as: 'Signed in as {account}.',
  consent_not_you: 'Not you?',
  not_found_title: 'Page not found',
  language: 'Language',
  ...secondFactorEn,
};

type Messages = typeof en;

const tr: Messages = {
  sign_in: 'Giriş yap',
  sign_in_to: '{client} uygulamasına devam etmek için giriş yapın',
  identifier: 'Kullanıcı adı veya e-posta',
  password: 'Parola',
  submit: 'Giriş yap',
  forgot_password: 'Parolanızı mı unuttunuz?',
  show_password: 'Parolayı göster',
  cancel: 'Vazgeç',
  error_prefix: 'Hata',
  invalid_credentials: 'Kullanıcı adı veya parola hatalı.',
  missing_identifier: 'Kullanıcı adınızı veya e-postanızı girin.',
  missing_password: 'Parolanızı girin.',
  password_too_long: 'Bu parola izin verilen {max} karakterden uzun.',
  identifier_too_long: 'Bu kullanıcı adı izin verilen {max} karakterden uzun.',
  throttled: 'Çok fazla başarısız deneme. {wait} sonra, UTC {time} saatinde tekrar deneyin.',
  legacy_unavailable: 'Giriş geçici olarak kullanılamıyor. Lütfen birkaç dakika sonra tekrar deneyin.',
  unavailable_title: 'Giriş kullanılamıyor',
  request_too_large:
    'Gönderilen form, herhangi bir girişin gerektirdiğinden büyük. Geri dönüp tekrar deneyin.',
  throttled_short: 'Çok fazla deneme. Lütfen daha sonra tekrar deneyin.',
  repeated_parameter: 'Sizi buraya getiren bağlantı geçerli değil: bir parametre birden fazla kez verilmiş.',
  csrf: 'Bu formun süresi doldu. Lütfen tekrar giriş yapın.',
  consent_title: 'Erişime izin ver',
  consent_intro: '{client} şunlara erişim istiyor:',
  allow: 'İzin ver',
  deny: 'Reddet',
  scope_openid: 'Kimliğiniz',
  scope_email: 'E-posta adresiniz',
  scope_profile: 'Adınız ve kullanıcı adınız',
  scope_offline_access: 'Siz yokken oturumunuzun açık kalması',
  logout_title: 'Çıkış yap',
  logout_question: '{product} oturumunuzu kapatmak istiyor musunuz?',
  logout_yes: 'Evet, çıkış yap',
  logout_no: 'Hayır, oturumum açık kalsın',
  logged_out_title: 'Çıkış yapıldı',
  logged_out: 'Oturumunuz kapatıldı.',
  logged_out_close: 'Bu pencereyi artık kapatabilirsiniz.',
  error_title: 'Bir şeyler ters gitti',
  error_generic: 'İstek tamamlanamadı.',
  error_code: 'Hata kodu',
  error_back: 'Uygulamaya dönün ve yeniden başlayın.',
  session_expired_title: 'Bu giriş sayfasının süresi doldu',
  session_expired: 'Giriş çok uzun sürdü veya zaten tamamlandı.',
  error_back_link: 'Yeniden başlamak için {client} uygulamasına dönün',
  consent_signed_in_as: '{account} olarak giriş yapıldı.',
  consent_not_you: 'Siz değil misiniz?',
  not_found_title: 'Sayfa bulunamadı',
  language: 'Dil',
  ...secondFactorTr,
};

const catalogs: Record<Locale, Messages> = { en, tr };

export type MessageKey = keyof Messages;
export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(locale: Locale): Translate {
  const messages = catalogs[locale];
  return (key, vars) =>
    messages[key].replace(/\{(\w+)\}/g, (_, name: string) => String(vars?.[name] ?? `{${name}}`));
}

/**
 * How long to wait, for a message's {wait} and {time}: whole minutes in the locale's own
 * plural form ("1 minute", "5 minutes", "5 dakika"), and the UTC clock time it ends.
 */
export function retryWait(locale: Locale, retryAfterSeconds: number): { wait: string; time: string } {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  const wait = new Intl.NumberFormat(locale, { style: 'unit', unit: 'minute', unitDisplay: 'long' }).format(
    minutes,
  );
  const time = new Date(Date.now() + retryAfterSeconds * 1000).toISOString().slice(11, 16);
  return { wait, time };
}

/** Picks a locale from ui_locales (space-separated), then Accept-Language, then the default. */
export function pickLocale(
  uiLocales: string | undefined,
  acceptLanguage: string | undefined,
  fallback: Locale,
): Locale {
  const candidates = [
    ...(uiLocales ?? '').split(/\s+/),
    ...(acceptLanguage ?? '')
      .split(',')
      .map((part) => {
        const [tag, q] = part.trim().split(';q=');
        return { tag: tag ?? '', q: q === undefined ? 1 : Number(q) };
      })
      .sort((a, b) => b.q - a.q)
      .map((x) => x.tag),
  ];
  for (const c of candidates) {
    const base = c.toLowerCase().split('-')[0];
    if ((LOCALES as readonly string[]).includes(base ?? '')) return base as Locale;
  }
  return fallback;
}
