// A minimal browser for tests: keeps cookies per origin, follows redirects by hand and stops
// at the relying party's redirect_uri, reads forms out of the pages. Real HTTP, nothing
// mocked; the HTML it parses is the bridge's own.

export interface Page {
  url: string;
  status: number;
  html: string;
  headers: Headers;
}

export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(readonly stopAt?: string) {}

  #cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  #store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(url: string, init: RequestInit = {}, maxRedirects = 10): Promise<Page> {
    let current = url;
    let options: RequestInit = init;
    for (let i = 0; i <= maxRedirects; i++) {
      if (this.stopAt && current.startsWith(this.stopAt))
        return { url: current, status: 0, html: '', headers: new Headers() };
      const res = await fetch(current, {
        ...options,
        redirect: 'manual',
        headers: { ...(options.headers as Record<string, string>), cookie: this.#cookieHeader() },
      });
      this.#store(res);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        current = new URL(location, current).toString();
        options = {};
        continue;
      }
      return { url: current, status: res.status, html: await res.text(), headers: res.headers };
    }
    throw new Error('too many redirects');
  }

  get(url: string): Promise<Page> {
    return this.request(url);
  }

  post(
    url: string,
    fields: Record<string, string>,
    extraHeaders: Record<string, string> = {},
  ): Promise<Page> {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...extraHeaders },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

export function formOf(
  page: Page,
  actionPattern: RegExp,
): { action: string; fields: Record<string, string> } {
  const forms = page.html.match(/<form[\s\S]*?<\/form>/g) ?? [];
  const form = forms.find((f) => actionPattern.test(f.match(/action="([^"]*)"/)?.[1] ?? ''));
  if (!form) throw new Error(`no form matching ${actionPattern} on ${page.url} (status ${page.status})`);
  const action = new URL(form.match(/action="([^"]*)"/)![1]!.replace(/&amp;/g, '&'), page.url).toString();
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = m[0].match(/name="([^"]*)"/)?.[1];
    const value = m[0].match(/value="([^"]*)"/)?.[1] ?? '';
    if (name) fields[name] = value;
  }
  return { action, fields };
}
