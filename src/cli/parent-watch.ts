// Under npm (`npx oidc-bridge demo`, `npm start`) the bridge runs as npm's grandchild, behind
// a shell, and npm does not pass a SIGTERM on to it: killing npx would leave this process
// holding its ports. So when npm started us and our parent goes away, we stop as on SIGTERM.
// Only under npm: a bridge started by a shell with nohup must outlive that shell.

const CHECK_MS = 500;

export function stopWithParentUnderNpm(env: NodeJS.ProcessEnv = process.env): void {
  if (!env.npm_command && !env.npm_lifecycle_event) return;
  const parent = process.ppid;
  if (parent <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, CHECK_MS);
  timer.unref();
}
