// What an SSH target says to the system's OpenSSH client and to the remote shell, as pure functions (ssh.ts runs
// them). Every word that reaches the remote shell is quoted by shell-quote, never by hand: the remote side runs
// `sh -c SCRIPT`, and SCRIPT is made of our own fixed text and quoted words only, so a file or folder name with
// spaces, quotes, `$()`, `;` or newlines is one literal argument there.
import { quote } from 'shell-quote';

/** `ssh://[user@]host[:port]`, or a bare Host alias of ~/.ssh/config. */
export interface SshDestination {
  user?: string;
  host: string;
  port?: number;
}

// Names ssh would read as an option (a leading '-') or that a shell or ssh_config's tokens would split are refused:
// a destination comes from the user's settings or command line, and is still never allowed to smuggle an option.
const HOST = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$|^\[[0-9A-Fa-f:.]+\]$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Parses `ssh://[user@]host[:port]` or a Host alias; throws an Error that says what is wrong with it. */
export function parseSshDestination(text: string): SshDestination {
  const url = /^ssh:\/\/(?:([^@/]*)@)?(\[[^\]]*\]|[^:/]*)(?::(\d*))?\/?$/.exec(text);
  if (text.startsWith('ssh://') && !url) throw new Error(`'${text}' is not an SSH target: write ssh://[user@]host[:port] or a Host alias of ~/.ssh/config`);
  const [user, host, port] = url ? [url[1], url[2], url[3]] : [undefined, text, undefined];
  if (!HOST.test(host)) throw new Error(`'${host}' in '${text}' is not a host name, address or Host alias (letters, digits, '.', '_' and '-', not starting with '-')`);
  if (user !== undefined && !USER.test(user)) throw new Error(`'${user}' in '${text}' is not a user name (letters, digits, '.', '_' and '-', not starting with '-')`);
  const portNumber = port === undefined ? undefined : Number(port);
  if (portNumber !== undefined && !(Number.isInteger(portNumber) && portNumber >= 1 && portNumber <= 65535)) throw new Error(`'${port}' in '${text}' is not a port (1-65535)`);
  return { ...(user ? { user } : {}), host, ...(portNumber !== undefined ? { port: portNumber } : {}) };
}

/** `user@host:port` as shown and as the target's identity (`ssh:` + it). */
export function destinationText(d: SshDestination): string {
  return `${d.user ? `${d.user}@` : ''}${d.host}${d.port ? `:${d.port}` : ''}`;
}

export interface SshClientOptions {
  /** `-F FILE` instead of ~/.ssh/config (tests; a user's own choice). */
  configFile?: string;
  /** The private folder of the control sockets. */
  controlDir: string;
}

/**
 * The options of every ssh call: batch mode (no password prompt we could not answer; keys and the agent work),
 * connection sharing through one master per destination (`master`: this call starts it, in the background, and it
 * exits `persistSeconds` after its last use), dead connections noticed within ~15 s. Host keys are checked as
 * ~/.ssh/config and known_hosts say: nothing here loosens StrictHostKeyChecking.
 */
export function sshOptions(d: SshDestination, o: SshClientOptions, master?: { persistSeconds: number }): string[] {
  return [
    ...(o.configFile ? ['-F', o.configFile] : []),
    ...(d.port ? ['-p', String(d.port)] : []),
    ...(d.user ? ['-l', d.user] : []),
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10',
    '-o', 'ServerAliveInterval=5',
    '-o', 'ServerAliveCountMax=3',
    '-o', `ControlPath=${o.controlDir}/cm-%C`,
    ...(master ? ['-o', 'ControlMaster=yes', '-o', `ControlPersist=${master.persistSeconds}`, '-f', '-N'] : ['-o', 'ControlMaster=no']),
  ];
}

/** ssh's arguments to run `sh -c SCRIPT` on the destination. `--` ends ssh's options before the host. */
export function sshRunArgs(d: SshDestination, o: SshClientOptions, script: string): string[] {
  return [...sshOptions(d, o), '-T', '--', d.host, quote(['sh', '-c', script])];
}

/**
 * rsync's `-e` value: the ssh command with our options. rsync splits it itself (not through a shell): on spaces,
 * keeping single-quoted words whole and reading no escapes in them, so every word is single-quoted, and a word
 * holding a single quote (which that parser cannot carry) is refused.
 */
export function rsyncRsh(ssh: string, d: SshDestination, o: SshClientOptions): string {
  const words = [ssh, ...sshOptions(d, o)];
  const bad = words.find((w) => w.includes("'"));
  if (bad !== undefined) throw new Error(`rsync cannot pass ${JSON.stringify(bad)} to ssh (it has a single quote): rename it, or set the target's transfer to 'tar'`);
  return words.map((w) => `'${w}'`).join(' ');
}

/** ssh's arguments that start the shared master connection. */
export function sshMasterArgs(d: SshDestination, o: SshClientOptions, persistSeconds: number): string[] {
  return [...sshOptions(d, o, { persistSeconds }), '--', d.host];
}

/** ssh's arguments that end the master connection (at exit). */
export function sshExitMasterArgs(d: SshDestination, o: SshClientOptions): string[] {
  return [...sshOptions(d, o), '-O', 'exit', '--', d.host];
}

/** A line the remote wrapper writes to stderr once the command has started: before it, a retry cannot run anything twice. */
export const STARTED_MARK = 'kernelpilot-remote: started';
/** The wrapper's last line: without it, an exit status of 255 is ssh's (the connection failed), not the command's. */
export const ENDED_MARK = 'kernelpilot-remote: ended';
/** The wrapper's exit status and line when the program is not on the target. */
export const NOT_FOUND_STATUS = 127;
export const NOT_FOUND_MARK = 'kernelpilot-remote: not found:';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface RemoteCommand {
  file: string;
  args: readonly string[];
  cwd?: string;
  /** Set (a string) or unset (undefined) for the command. */
  env?: Record<string, string | undefined>;
  /** The target's own environment lines (`module load cuda`), from the user's settings: run as written, first. */
  envLines?: readonly string[];
  /** Where the wrapper records the command's process group, so a cancel can end it. */
  pidFile: string;
  /** Bytes of standard input that precede the rest of the stream: copied to a file the command reads. */
  inputBytes?: number;
}

/**
 * The remote wrapper. The command runs in a session of its own (setsid: its process group is its pid) with its
 * stdin from /dev/null (or the given input), its group recorded in `pidFile`. Unless input was given, a watcher
 * reads the ssh channel and, when it closes — the client was cancelled, timed out, killed, or the connection
 * dropped — kills the whole group: nothing is left running on the target.
 */
export function remoteScript(c: RemoteCommand): string {
  for (const name of Object.keys(c.env ?? {})) if (!ENV_NAME.test(name)) throw new Error(`'${name}' is not an environment variable name`);
  const env = Object.entries(c.env ?? {}).map(([k, v]) => (v === undefined ? `unset ${k}` : `export ${quote([`${k}=${v}`])}`));
  const input = c.inputBytes !== undefined;
  const lines = [
    ...(c.envLines ?? []),
    ...env,
    'exec 3<&0',
    ...(c.cwd !== undefined ? [`cd -- ${quote([c.cwd])} || exit 125`] : []),
    `if ! command -v -- ${quote([c.file])} >/dev/null 2>&1; then printf '%s %s\\n' ${quote([NOT_FOUND_MARK, c.file])} >&2; exit ${NOT_FOUND_STATUS}; fi`,
    input ? `kp_in=$(mktemp) && head -c ${c.inputBytes} <&3 >"$kp_in" || exit 125` : 'kp_in=/dev/null',
    `setsid -- ${quote([c.file, ...c.args])} <"$kp_in" 3<&- &`,
    'kp_pid=$!',
    `printf '%s\\n' "$kp_pid" >${quote([c.pidFile])}`,
    `printf '%s\\n' ${quote([STARTED_MARK])} >&2`,
    ...(input ? [] : ['{ while IFS= read -r kp_line; do :; done; kill -9 -"$kp_pid"; } <&3 >/dev/null 2>&1 &', 'kp_watch=$!']),
    'exec 3<&-',
    'wait "$kp_pid"; kp_rc=$?',
    ...(input ? ['rm -f -- "$kp_in"'] : ['kill "$kp_watch" 2>/dev/null']),
    `rm -f -- ${quote([c.pidFile])}`,
    `printf '%s\\n' ${quote([ENDED_MARK])} >&2`,
    'exit "$kp_rc"',
  ];
  return lines.join('\n');
}

/**
 * Kills the process group recorded in `pidFile` (a cancel or a timeout); nothing there is fine. (`kill -9 -PGID`:
 * dash's kill refuses `--`.)
 */
export function remoteKillScript(pidFile: string): string {
  return `kp_pid=$(cat -- ${quote([pidFile])} 2>/dev/null) && [ -n "$kp_pid" ] && kill -9 -"$kp_pid" 2>/dev/null; rm -f -- ${quote([pidFile])}; exit 0`;
}
