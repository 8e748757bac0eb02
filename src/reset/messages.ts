// The texts of the password reset pages, the reset e-mail and the new-password prompt after
// login, in English and Turkish; spread into the page catalogues of src/ui/i18n.ts.

export const resetEn = {
  forgot_title: 'Reset your password',
  forgot_intro:
    'Enter your username or email. If an account matches, we will email it a link to choose a new password.',
  forgot_submit: 'Send reset link',
  forgot_back: 'Back to sign in',
  reset_request_new: 'Request a new link',
  forgot_sent_title: 'Check your email',
  forgot_sent:
    'If an account matches what you entered and has an email address, a link to reset its password is on its way. It is valid for {minutes} minutes.',
  forgot_sent_hint:
    'No email after a few minutes? Look in your spam folder, or request a new link: only the newest one works.',
  forgot_throttled: 'Too many reset requests. Try again in {minutes} minute(s).',
  reset_title: 'Choose a new password',
  reset_intro: 'Choose a new password for your account.',
  new_password: 'New password',
  new_password_again: 'New password, again',
  reset_submit: 'Set new password',
  password_hint: 'At least {min} characters. Avoid common words, names and patterns.',
  reset_mismatch: 'The two passwords do not match.',
  policy_too_short: 'Use at least {min} characters.',
  policy_too_weak:
    'This password is too easy to guess. Add words or characters that are not a common pattern.',
  policy_breached: 'This password appears in a list of leaked passwords. Choose another.',
  reset_invalid_title: 'This reset link does not work',
  reset_invalid: 'The link is incomplete or was not made by us. Request a new one from the sign-in page.',
  reset_expired_title: 'This reset link has expired',
  reset_expired: 'Reset links are valid for {minutes} minutes. Request a new one from the sign-in page.',
  reset_used_title: 'This reset link was already used',
  reset_used:
    'Your password was changed with this link already. Sign in with your new password, or request a new link.',
  reset_superseded_title: 'A newer reset link was sent',
  reset_superseded:
    'You asked for another reset link after this one, and only the newest works. Use the link in the latest email.',
  reset_unavailable: 'Password reset is temporarily unavailable. Please try again in a few minutes.',
  reset_done_title: 'Your password has been changed',
  reset_done: 'You can now sign in with your new password.',
  reset_done_back: 'Back to {client}',
  reset_done_back_plain: 'Back to the application',
  reset_done_hint: 'The sign-in you started has ended in the meantime; start it again from the application.',
  weak_title: 'Please choose a new password',
  weak_intro:
    'You are signed in. Your current password is easy to guess, so please choose a stronger one now.',
  weak_submit: 'Save new password',
  weak_skip: 'Not now',
  mail_reset_subject: 'Reset your {product} password',
  mail_reset_greeting: 'Hello {name},',
  mail_reset_greeting_plain: 'Hello,',
  mail_reset_body:
    'Someone asked to reset the password of your {product} account. To choose a new password, open this link within {minutes} minutes:',
  mail_reset_button: 'Choose a new password',
  mail_reset_ignore: 'If you did not ask for this, ignore this email: your password stays as it is.',
  mail_footer:
    'This email was sent by {product}. Please do not reply with your password: nobody will ever ask for it.',
};

type ResetMessages = typeof resetEn;

export const resetTr: ResetMessages = {
  forgot_title: 'Parolanızı sıfırlayın',
  forgot_intro:
    'Kullanıcı adınızı veya e-postanızı girin. Eşleşen bir hesap varsa, yeni bir parola seçmeniz için e-postasına bir bağlantı göndereceğiz.',
  forgot_submit: 'Sıfırlama bağlantısı gönder',
  forgot_back: 'Girişe dön',
  reset_request_new: 'Yeni bir bağlantı isteyin',
  forgot_sent_title: 'E-postanızı kontrol edin',
  forgot_sent:
    'Girdiğiniz bilgiyle eşleşen ve e-posta adresi olan bir hesap varsa, parolasını sıfırlama bağlantısı yolda. Bağlantı {minutes} dakika geçerlidir.',
  forgot_sent_hint:
    'Birkaç dakika içinde e-posta gelmezse istenmeyen klasörüne bakın veya yeni bir bağlantı isteyin: yalnızca en yenisi çalışır.',
  forgot_throttled: 'Çok fazla sıfırlama isteği. {minutes} dakika sonra tekrar deneyin.',
  reset_title: 'Yeni bir parola seçin',
  reset_intro: 'Hesabınız için yeni bir parola seçin.',
  new_password: 'Yeni parola',
  new_password_again: 'Yeni parola, tekrar',
  reset_submit: 'Yeni parolayı kaydet',
  password_hint: 'En az {min} karakter. Sık kullanılan sözcüklerden, adlardan ve kalıplardan kaçının.',
  reset_mismatch: 'İki parola birbirini tutmuyor.',
  policy_too_short: 'En az {min} karakter kullanın.',
  policy_too_weak:
    'Bu parolayı tahmin etmek çok kolay. Sık görülen bir kalıp olmayan sözcükler veya karakterler ekleyin.',
  policy_breached: 'Bu parola sızdırılmış parolalar listesinde geçiyor. Başka bir parola seçin.',
  reset_invalid_title: 'Bu sıfırlama bağlantısı çalışmıyor',
  reset_invalid:
    'Bağlantı eksik veya bizim tarafımızdan oluşturulmamış. Giriş sayfasından yeni bir bağlantı isteyin.',
  reset_expired_title: 'Bu sıfırlama bağlantısının süresi doldu',
  reset_expired:
    'Sıfırlama bağlantıları {minutes} dakika geçerlidir. Giriş sayfasından yeni bir bağlantı isteyin.',
  reset_used_title: 'Bu sıfırlama bağlantısı zaten kullanıldı',
  reset_used:
    'Parolanız bu bağlantıyla zaten değiştirildi. Yeni parolanızla giriş yapın veya yeni bir bağlantı isteyin.',
  reset_superseded_title: 'Daha yeni bir sıfırlama bağlantısı gönderildi',
  reset_superseded:
    'Bundan sonra başka bir sıfırlama bağlantısı istediniz ve yalnızca en yenisi çalışır. Son e-postadaki bağlantıyı kullanın.',
  reset_unavailable:
    'Parola sıfırlama geçici olarak kullanılamıyor. Lütfen birkaç dakika sonra tekrar deneyin.',
  reset_done_title: 'Parolanız değiştirildi',
  reset_done: 'Artık yeni parolanızla giriş yapabilirsiniz.',
  reset_done_back: '{client} uygulamasına dön',
  reset_done_back_plain: 'Uygulamaya dön',
  reset_done_hint: 'Başlattığınız giriş bu arada sona erdi; uygulamadan yeniden başlatın.',
  weak_title: 'Lütfen yeni bir parola seçin',
  weak_intro:
    'Giriş yaptınız. Mevcut parolanızı tahmin etmek kolay, lütfen şimdi daha güçlü bir parola seçin.',
  weak_submit: 'Yeni parolayı kaydet',
  weak_skip: 'Şimdi değil',
  mail_reset_subject: '{product} parolanızı sıfırlayın',
  mail_reset_greeting: 'Merhaba {name},',
  mail_reset_greeting_plain: 'Merhaba,',
  mail_reset_body:
    'Birisi {product} hesabınızın parolasını sıfırlamak istedi. Yeni bir parola seçmek için bu bağlantıyı {minutes} dakika içinde açın:',
  mail_reset_button: 'Yeni bir parola seçin',
  mail_reset_ignore: 'Bunu siz istemediyseniz bu e-postayı dikkate almayın: parolanız olduğu gibi kalır.',
  mail_footer:
    'Bu e-posta {product} tarafından gönderildi. Lütfen parolanızla yanıt vermeyin: kimse onu asla istemez.',
};
