// The texts of the second-factor, passkey and recovery-code pages, in English and Turkish;
// merged into the page catalogs of src/ui/i18n.ts.
export const secondFactorEn = {
  mfa_title: 'Two-step verification',
  mfa_intro: 'Enter the 6-digit code from your authenticator app.',
  mfa_intro_recovery: 'Lost your phone? Enter one of your recovery codes instead.',
  mfa_code: 'Verification code',
  mfa_code_hint: 'The code changes every 30 seconds.',
  mfa_verify: 'Verify',
  mfa_wrong_code: 'That code is not right. Check your authenticator app and try again.',
  mfa_replayed_code: 'That code was already used. Wait for the next code in your app.',
  mfa_missing_code: 'Enter the code from your authenticator app.',
  mfa_throttled: 'Too many wrong codes. Try again in {wait}, at {time} UTC.',
  mfa_use_passkey: 'Use a passkey instead',
  mfa_passkey_only: 'This application asks for a passkey. Use the passkey you created for this account.',
  mfa_signed_in_as: 'Signing in as {user}.',
  totp_setup_title: 'Set up two-step verification',
  totp_setup_intro:
    '{client} asks for a second step when you sign in. Set it up once with an authenticator app.',
  totp_setup_intro_plain:
    'Your account needs a second step when you sign in. Set it up once with an authenticator app.',
  totp_setup_step_scan:
    'Scan this QR code with your authenticator app (Google Authenticator, Microsoft Authenticator, 1Password, Authy…).',
  totp_setup_qr_label: 'QR code for your authenticator app',
  totp_setup_step_key: 'Can’t scan it? Enter this key in the app instead:',
  totp_setup_step_code: 'Then enter the 6-digit code the app shows.',
  totp_setup_confirm: 'Turn on two-step verification',
  recovery_title: 'Save your recovery codes',
  recovery_intro:
    'If you lose your phone, each of these codes lets you sign in once. Keep them somewhere safe, such as a password manager. They are shown only now.',
  recovery_list: 'Recovery codes',
  recovery_copy: 'Copy codes',
  recovery_copied: 'Copied.',
  recovery_download: 'Download as a text file',
  recovery_saved: 'I have saved these codes',
  recovery_continue: 'Continue',
  recovery_file_heading: 'Recovery codes for {product}. Each code works once.',
  passkey_offer_title: 'Sign in faster next time',
  passkey_offer_intro:
    'Create a passkey and sign in with your fingerprint, face or screen lock instead of your password.',
  passkey_offer_point_device: 'Your passkey stays on this device or in your password manager.',
  passkey_offer_point_phishing: 'It works only on this site, so it cannot be phished.',
  passkey_offer_create: 'Create a passkey',
  passkey_offer_skip: 'Not now',
  passkey_failed: 'The passkey could not be created. You can try again, or continue without one.',
  passkey_sign_in: 'Use a passkey',
  passkey_or: 'or',
  passkey_login_failed: 'Sign-in with a passkey did not work. Try again, or use your password.',
  passkey_working: 'Waiting for your passkey…',
  mfa_unavailable_title: 'A second step is required',
  mfa_unavailable:
    'This application requires two-step verification, which is not set up for your account. Contact the support of the application.',
};

type SecondFactorMessages = typeof secondFactorEn;

export const secondFactorTr: SecondFactorMessages = {
  mfa_title: 'İki adımlı doğrulama',
  mfa_intro: 'Kimlik doğrulama uygulamanızdaki 6 haneli kodu girin.',
  mfa_intro_recovery: 'Telefonunuzu mu kaybettiniz? Bunun yerine kurtarma kodlarınızdan birini girin.',
  mfa_code: 'Doğrulama kodu',
  mfa_code_hint: 'Kod her 30 saniyede bir değişir.',
  mfa_verify: 'Doğrula',
  mfa_wrong_code: 'Bu kod doğru değil. Kimlik doğrulama uygulamanızı kontrol edip tekrar deneyin.',
  mfa_replayed_code: 'Bu kod zaten kullanıldı. Uygulamanızda bir sonraki kodu bekleyin.',
  mfa_missing_code: 'Kimlik doğrulama uygulamanızdaki kodu girin.',
  mfa_throttled: 'Çok fazla hatalı kod. {wait} sonra, UTC {time} saatinde tekrar deneyin.',
  mfa_use_passkey: 'Bunun yerine geçiş anahtarı kullan',
  mfa_passkey_only:
    'Bu uygulama geçiş anahtarı istiyor. Bu hesap için oluşturduğunuz geçiş anahtarını kullanın.',
  mfa_signed_in_as: '{user} olarak giriş yapılıyor.',
  totp_setup_title: 'İki adımlı doğrulamayı kurun',
  totp_setup_intro:
    '{client}, giriş yaparken ikinci bir adım istiyor. Bir kimlik doğrulama uygulamasıyla bir kez kurun.',
  totp_setup_intro_plain:
    'Hesabınız giriş yaparken ikinci bir adım gerektiriyor. Bir kimlik doğrulama uygulamasıyla bir kez kurun.',
  totp_setup_step_scan:
    'Bu QR kodunu kimlik doğrulama uygulamanızla tarayın (Google Authenticator, Microsoft Authenticator, 1Password, Authy…).',
  totp_setup_qr_label: 'Kimlik doğrulama uygulamanız için QR kodu',
  totp_setup_step_key: 'Tarayamıyor musunuz? Bunun yerine uygulamaya bu anahtarı girin:',
  totp_setup_step_code: 'Ardından uygulamanın gösterdiği 6 haneli kodu girin.',
  totp_setup_confirm: 'İki adımlı doğrulamayı aç',
  recovery_title: 'Kurtarma kodlarınızı kaydedin',
  recovery_intro:
    'Telefonunuzu kaybederseniz bu kodların her biri bir kez giriş yapmanızı sağlar. Bunları parola yöneticisi gibi güvenli bir yerde saklayın. Yalnızca şimdi gösteriliyorlar.',
  recovery_list: 'Kurtarma kodları',
  recovery_copy: 'Kodları kopyala',
  recovery_copied: 'Kopyalandı.',
  recovery_download: 'Metin dosyası olarak indir',
  recovery_saved: 'Bu kodları kaydettim',
  recovery_continue: 'Devam et',
  recovery_file_heading: '{product} için kurtarma kodları. Her kod bir kez çalışır.',
  passkey_offer_title: 'Bir dahaki sefere daha hızlı giriş yapın',
  passkey_offer_intro:
    'Bir geçiş anahtarı oluşturun ve parolanız yerine parmak iziniz, yüzünüz veya ekran kilidinizle giriş yapın.',
  passkey_offer_point_device: 'Geçiş anahtarınız bu cihazda veya parola yöneticinizde kalır.',
  passkey_offer_point_phishing: 'Yalnızca bu sitede çalışır, bu yüzden oltalama ile ele geçirilemez.',
  passkey_offer_create: 'Geçiş anahtarı oluştur',
  passkey_offer_skip: 'Şimdi değil',
  passkey_failed:
    'Geçiş anahtarı oluşturulamadı. Tekrar deneyebilir veya geçiş anahtarı olmadan devam edebilirsiniz.',
  passkey_sign_in: 'Geçiş anahtarı kullan',
  passkey_or: 'veya',
  passkey_login_failed: 'Geçiş anahtarıyla giriş olmadı. Tekrar deneyin veya parolanızı kullanın.',
  passkey_working: 'Geçiş anahtarınız bekleniyor…',
  mfa_unavailable_title: 'İkinci bir adım gerekiyor',
  mfa_unavailable:
    'Bu uygulama iki adımlı doğrulama gerektiriyor, ancak hesabınızda kurulu değil. Uygulamanın destek ekibine başvurun.',
};
