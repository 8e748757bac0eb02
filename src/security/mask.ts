// Masks an e-mail address for an audit row or a log line: the first letter of the local part
// and of the domain, and the top-level domain, so an operator can tell two addresses apart
// without either being readable (m***@e***.com).
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const tld = dot > 0 ? domain.slice(dot) : '';
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  return `${local[0]}***@${host[0] ?? ''}***${tld}`;
}
