// Lab "lifecycle": a container's life as Docker users live it, done with the real command line
// (bin/run.js, what `sudo nestbox` runs) and checked in the kernel's files and nestbox's own. One
// container is started, stopped and started again (a new PID 1, the same files); the monitor that
// waits for it is found holding its pipes, its log and its attach socket; a shell as PID 1 is
// reached with exec and with attach, detached from, and ended from inside by the learner; a named
// volume outlives its container; a restart policy restarts a failing one twice, then gives up.
//
// Nothing may outlive the lab. Unlike the run lab's container, these are not --rm: a stopped
// container keeps its directory and name. So each container's name, and the volume's directory,
// are written in the lab's ledger *before* they are made (the ledger removes a container as
// `nestbox rm -f -v` does), each PID 1 as it starts; and the steps' own cleanups remove them with
// the commands a learner would type.
import type { Lab, LabContext, Observation, Text } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import { closeSync, existsSync, fstatSync, lstatSync, openSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { RunResult } from '../src/host/exec.js';
import { Ledger, startTime } from '../src/host/ledger.js';
import { libDir, rootfsDir, nestboxBin } from '../src/host/paths.js';
import { commandLine, mountTable, namespaceId, processStatus } from '../src/kernel/proc.js';
import type { NamespaceType } from '../src/kernel/constants.js';
import { findContainer, listContainers, namesDir, paths, type Container } from '../src/runtime/store.js';
import { readLog } from '../src/runtime/log.js';
import { volumeData, volumesDir } from '../src/runtime/mount-spec.js';
import { shellQuote } from '../src/net/exec.js';
import { commOf, sleep } from './kit.js';

interface LifeState {
  /** The lab's names, all nb-lab-UNIQUE: the volume, and its containers (…-life, -shell, -reader, -flaky). */
  volume: string;
  life: string;
  shell: string;
  reader: string;
  flaky: string;
  /** The container that is stopped and started again: its id, and what its first life held. */
  lifeId: string;
  firstPid: number;
  firstStart?: number;
  firstMonitor?: number;
  firstMonitorStart?: number;
  /**
   * Its first life's namespaces, held open by the lab (a descriptor of /proc/PID/ns/TYPE each) so
   * that their numbers are not given to the next life's: the kernel reuses a namespace's inode
   * number once it is freed, as it reuses PIDs.
   */
  heldNs: Partial<Record<NamespaceType, number>>;
  firstNs: Partial<Record<NamespaceType, number>>;
  firstCgroups: string[];
  /** Its PID 1 now (its second life), and the monitor waiting for it. */
  pid1: number;
  pid1Start?: number;
  monitor?: number;
  /** The shell container (run -dit): its id, its PID 1 and that process's start time, its monitor. */
  shellId: string;
  shellPid: number;
  shellStart?: number;
  shellMonitor?: number;
  /** What `nestbox attach` printed when the lab detached (stderr), and what `volume rm` answered while the volume was in use. */
  detached?: string;
  refusal?: string;
  /** What the new container read from the volume. */
  readBack?: string;
  flakyId?: string;
}

/** The nestbox command line itself (labs are built next to src/, so ../../bin from dist/labs/). */
const bin = nestboxBin();

/**
 * PID 1 of the container the lab stops and starts: it counts its lives in /lives (a file of its
 * writable layer), says which one begins, and ends at once, with 0, on SIGTERM. `sleep & wait`:
 * a shell runs a trap only once its foreground command has ended, and the builtin `wait` is one a
 * trapped signal ends at once (a foreground `sleep 3600` would hold the trap for an hour).
 */
const LIFE_SCRIPT = [
  'n=$(( $(cat /lives 2>/dev/null || echo 0) + 1 ))',
  'echo $n > /lives',
  'echo "life $n begins"',
  'trap \'echo "life $n: SIGTERM, exiting"; exit 0\' TERM',
  'while :; do sleep 3600 & wait; done',
].join('; ');
const WRITE = "echo 'written by exec' > /root/note; echo 'kept in the volume' > /data/note";
const FLAKY_SCRIPT = 'echo "attempt, exit 1"; exit 1';
/**
 * Namespaces the lab compares between two lives. Not the mount namespace: holding it would keep the
 * first life's overlay mounted on the same upper and work directories as the second's.
 */
const COMPARED: NamespaceType[] = ['pid', 'uts'];

/** Run `nestbox ARGS` as the learner would, narrated as the command they would type. */
async function nestbox(ctx: LabContext<LifeState>, args: string[], input?: string): Promise<RunResult> {
  ctx.say(`$ sudo nestbox ${args.map(shellQuote).join(' ')}`);
  return ctx.exec(process.execPath, [bin, ...args], input);
}

/** The last line nestbox printed on stderr (its error message). */
const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';

/** A command that must work: its failure stops the step with nestbox's own message. */
function must(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(pick(`${what} failed (exit ${r.code}): ${lastLine(r.stderr)}`, `${what} 失败（退出码 ${r.code}）：${lastLine(r.stderr)}`));
  return r;
}

/** Say what a command printed, line by line (its output is shown as the program wrote it). */
function sayOutput(ctx: LabContext<LifeState>, text: string): void {
  for (const line of text.split('\n')) if (line.trim()) ctx.say(`  ${line.trimEnd()}`);
}

/** What a terminal printed, as text: no carriage returns, no escape sequences (a shell's line editor asks where the cursor is). */
const plainText = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

/** The container by name or id, or undefined once it is removed. */
function containerOf(ref: string | undefined): Container | undefined {
  if (!ref) return undefined;
  try { return findContainer(ref); } catch { return undefined; }
}

/** Record the container in the lab's ledger before it is made, then make it. */
async function runRecorded(ctx: LabContext<LifeState>, name: string, args: string[]): Promise<RunResult> {
  ctx.ledger.record({ kind: 'container', ref: name });
  return nestbox(ctx, args);
}

/** From here on the lab's cleanup ends this PID 1 at once (the container's removal follows). */
function recordPid1(ctx: LabContext<LifeState>, c: Container): void {
  ctx.ledger.record({ kind: 'process', pid: c.state.Pid, starttime: c.state.PidStart, note: `PID 1 of container ${c.spec.name}` });
}

/** Poll `ready` every 50 ms for up to `ms`; whether it held. */
async function until(ready: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (ready()) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

/**
 * A container whose PID 1 has ended is `exited` only once its monitor has recorded how (the state
 * file says "running" a moment longer): wait for its ledger to go, the sign that its end is handled.
 */
async function settled(id: string): Promise<void> {
  await until(() => !new Ledger(`ctr-${id}`).exists(), 5000);
}

/** Words the checks show, in both languages (compared by their English). */
const PRESENT = t('present', '存在');
const ABSENT = t('absent', '不存在');
const GONE = t('gone', '已不存在');
const RUNNING = t('running', '还在运行');
const NO_FILE = t('(no such file)', '（没有这个文件）');
const REMOVED = t('(removed)', '（已删除）');

const readText = (path: string): string | Text => (existsSync(path) ? readFileSync(path, 'utf8').trim() : NO_FILE);
/** lstat, not exists: a container's name is a symbolic link to its id, which exists would follow. */
const nameTarget = (name: string): string | undefined => {
  try { return readlinkSync(join(namesDir(), name)); } catch { return undefined; }
};
/** Is this process (PID and start time) still the one the lab saw start? */
const alive = (pid: number | undefined, start: number | undefined) => !!pid && start !== undefined && startTime(pid) === start;
const fd = (pid: number, n: number): string => {
  try { return readlinkSync(`/proc/${pid}/fd/${n}`); } catch { return '(none)'; }
};
/** The lines of a container's log (its json-file), without their newlines. */
const logLines = (id: string) => readLog(paths(id).log).map((e) => e.log.replace(/\r?\n$/, ''));

/** The path of the Unix socket a process holds, found by the inode of its socket descriptors in its /proc/PID/net/unix. */
function socketPaths(pid: number): string[] {
  const inodes = new Set<string>();
  try {
    for (const n of readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(fd(pid, Number(n)));
      if (m) inodes.add(m[1]);
    }
  } catch { return []; }
  let table = '';
  try { table = readFileSync(`/proc/${pid}/net/unix`, 'utf8'); } catch { return []; }
  // Num RefCount Protocol Flags Type St Inode Path
  return table.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 8 && inodes.has(f[6])).map((f) => f[7]);
}

/** Every process whose command line names `word` (the container's id), as "PID comm". */
function processesNaming(word: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    if (commandLine(Number(name)).includes(word)) out.push(`${name} ${commOf(Number(name))}`);
  }
  return out;
}

/**
 * `nestbox attach NAME`, typed into as a person would: each key is sent once the output so far
 * matches its `after`. Resolves with the exit status and what attach printed.
 */
async function attachTyping(ctx: LabContext<LifeState>, name: string, keys: { after: RegExp; type: string; shown: string }[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  ctx.say(`$ sudo nestbox attach ${name}`);
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [bin, 'attach', name], { stdio: 'pipe' });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    for (const k of keys) {
      if (!(await until(() => k.after.test(stdout), 10_000))) break;
      ctx.say(t(`  (typed) ${k.shown}`, `  （键入）${k.shown}`));
      child.stdin.write(k.type);
    }
    const code = await exited;
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `nestbox exec NAME sleep 30`, looked at from the host while it runs: the sleep is found in the
 * container's cgroup (its one process that is not PID 1), read, and ended.
 */
async function execLooked(ctx: LabContext<LifeState>, c: Container): Promise<{ execPid?: number; pid?: number; nspid?: string; ppid?: number; parent?: string }> {
  const procs = c.state.Cgroup.map((d) => join(d, 'cgroup.procs'));
  ctx.say(`$ sudo nestbox exec ${c.spec.name} sleep 30`);
  const child = spawn(process.execPath, [bin, 'exec', c.spec.name, 'sleep', '30'], { stdio: 'ignore' });
  const ended = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const execPid = child.pid;
  let pid: number | undefined;
  try {
    await until(() => {
      for (const file of procs) {
        try {
          pid = readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number).find((p) => p !== c.state.Pid && commOf(p) === 'sleep');
          if (pid) return true;
        } catch { /* this hierarchy is not readable: the next */ }
      }
      return false;
    }, 10_000);
    if (!pid) return { execPid };
    const s = processStatus(pid);
    return { execPid, pid, nspid: s.nspid.join(' '), ppid: s.ppid, parent: commOf(s.ppid) };
  } finally {
    // The exec'd process ends, and `nestbox exec` with it; the container is not touched.
    try { if (pid) process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await ended;
    clearTimeout(timer);
    if (pid) ctx.say(t(`the lab ended the sleep (kill -9 ${pid} on the host): nestbox exec returned`, `实验结束了这个 sleep（在宿主机上 kill -9 ${pid}）：nestbox exec 随之返回`));
  }
}

/** The observations of a container's state file: its status and exit code. */
function stateOf(c: Container | undefined, expected: { status: string; code?: number }): Observation[] {
  const where = c ? paths(c.id).state : 'state.json';
  const out = [observe(t(`its status (${where})`, `它的状态（${where}）`), expected.status, c?.state.Status ?? REMOVED)];
  if (expected.code !== undefined) out.push(observe(t('its exit code (State.ExitCode)', '它的退出码（State.ExitCode）'), expected.code, c ? c.state.ExitCode : REMOVED));
  return out;
}

function stoppedMark(c: Container | undefined, expected: Text): Observation {
  const file = c ? paths(c.id).stoppedMark : 'stopped-by-user';
  return observe(t(`the mark of a stop by hand (${file})`, `手动停止留下的标记（${file}）`), expected, c && existsSync(file) ? PRESENT : ABSENT);
}

/** Remove a container of the lab if it is still there (a step's cleanup: quiet when it is gone). */
async function removeIfThere(ctx: LabContext<LifeState>, name: string | undefined): Promise<void> {
  if (name && containerOf(name)) await nestbox(ctx, ['rm', '-f', name]);
}

const lab: Lab<LifeState> = {
  id: 'lifecycle',
  title: t('A container\'s life: stop, start, attach, exec, volumes and restarts', '容器的一生：停止、再启动、attach 与 exec、数据卷和重启策略'),
  module: 15,
  lesson: 'lifecycle',
  needs: ['root', 'ns-mnt', 'ns-pid', 'ns-uts', 'ns-ipc', 'ns-net', 'overlayfs'],
  steps: [
    {
      id: 'run',
      title: t('Start a container with a named volume, and write two files', '启动一个带命名数据卷的容器，写两个文件'),
      explain: t([
        'A container is more than its processes: it is a directory nestbox keeps, `containers/ID` under `/var/lib/nestbox` (Docker\'s is `/var/lib/docker/containers/ID`), with its configuration, its state, its log and its writable layer, and a name that points to it. This lab follows one container through its life. It starts detached (`-d`), with `--net none` (no network is needed here) and a named volume on `/data` (`-v NAME:/data`), made on first use.',
        '',
        'Its PID 1 is a small shell script: it counts its lives in `/lives` (a file of its writable layer), prints `life N begins`, and sets a handler for SIGTERM (`trap`), so that `stop` can end it at once. Then `nestbox exec` writes two files: `/root/note` lands in the writable layer, `/data/note` in the volume.',
      ].join('\n'), [
        '容器不只是它的那些进程：它还是 nestbox 保管的一个目录，即 `/var/lib/nestbox` 下的 `containers/ID`（Docker 的是 `/var/lib/docker/containers/ID`），里面有它的配置、状态、日志和可写层，另外还有一个指向它的名字。这个实验跟着一个容器走完它的一生。它以后台方式（`-d`）启动，加上 `--net none`（这里用不着网络），并把一个命名数据卷（named volume）挂到 `/data` 上（`-v NAME:/data`）；这个数据卷在第一次用到时创建。',
        '',
        '它的 1 号进程是一小段 shell 脚本：在 `/lives`（可写层里的一个文件）里数自己是第几次运行，打印 `life N begins`，再给 SIGTERM 设一个处理函数（`trap`），让 `stop` 能叫它立刻结束。接着 `nestbox exec` 写两个文件：`/root/note` 落在可写层里，`/data/note` 落在数据卷里。',
      ].join('\n')),
      command: `sudo nestbox run -d --name {life} --net none -v {volume}:/data default -- sh -c '…'; sudo nestbox exec {life} sh -c "${WRITE}"`,
      syscall: t('mkdir (cgroup); unshare(CLONE_NEWNS|CLONE_NEWPID|...); mount("overlay"); mount(volumes/{volume}/_data, "/data", MS_BIND); execve("sh"); then setns + execve("sh") for exec',
        'mkdir（控制组）；unshare(CLONE_NEWNS|CLONE_NEWPID|...)；mount("overlay")；mount(volumes/{volume}/_data, "/data", MS_BIND)；execve("sh")；exec 时再 setns + execve("sh")'),
      async perform(ctx) {
        const u = `nb-lab-${ctx.unique}`;
        Object.assign(ctx.state, { volume: u, life: `${u}-life`, shell: `${u}-shell`, reader: `${u}-reader`, flaky: `${u}-flaky` });
        // The volume first: the ledger undoes newest first, so it goes after every container that mounts it.
        ctx.ledger.record({ kind: 'dir', path: join(volumesDir(), ctx.state.volume) });
        must(await runRecorded(ctx, ctx.state.life, ['run', '-d', '--name', ctx.state.life, '--net', 'none', '-v', `${ctx.state.volume}:/data`, 'default', '--', 'sh', '-c', LIFE_SCRIPT]), 'nestbox run');
        const c = findContainer(ctx.state.life);
        recordPid1(ctx, c);
        Object.assign(ctx.state, {
          lifeId: c.id,
          firstPid: c.state.Pid,
          firstStart: c.state.PidStart,
          firstMonitor: c.state.MonitorPid,
          firstMonitorStart: c.state.MonitorStart,
          heldNs: Object.fromEntries(COMPARED.map((type) => [type, openSync(`/proc/${c.state.Pid}/ns/${type}`, 'r')])),
          firstCgroups: c.state.Cgroup,
          pid1: c.state.Pid,
        });
        ctx.state.firstNs = Object.fromEntries(Object.entries(ctx.state.heldNs).map(([type, fd]) => [type, fstatSync(fd!).ino]));
        must(await nestbox(ctx, ['exec', ctx.state.life, 'sh', '-c', WRITE]), 'nestbox exec');
        return t(`container ${c.id} runs; its PID 1 is PID ${c.state.Pid} on the host`, `容器 ${c.id} 正在运行；它的 1 号进程在宿主机上是 PID ${c.state.Pid}`);
      },
      async verify(ctx) {
        const { firstPid: pid, lifeId: id, volume } = ctx.state;
        const c = containerOf(id);
        const data = mountTable(pid).find((m) => m.mountPoint === '/data');
        return [
          ...stateOf(c, { status: 'running' }),
          observe(t(`NSpid in /proc/${pid}/status: on the host, inside`, `/proc/${pid}/status 里的 NSpid：宿主机上的、容器里的`), `${pid} 1`, processStatus(pid).nspid.join(' ')),
          observe(t(`/root/note, read through /proc/${pid}/root`, `经 /proc/${pid}/root 读到的 /root/note`), 'written by exec', readText(`/proc/${pid}/root/root/note`)),
          observe(t(`in its writable layer: ${join(paths(id).upper, 'root', 'note')}`, `在它的可写层里：${join(paths(id).upper, 'root', 'note')}`), PRESENT, existsSync(join(paths(id).upper, 'root', 'note')) ? PRESENT : ABSENT),
          observe(t(`in the image: ${join(rootfsDir(), 'root', 'note')}`, `在镜像里：${join(rootfsDir(), 'root', 'note')}`), ABSENT, existsSync(join(rootfsDir(), 'root', 'note')) ? PRESENT : ABSENT),
          observeThat(t(`what is mounted on /data (/proc/${pid}/mountinfo, its root)`, `挂在 /data 上的是什么（/proc/${pid}/mountinfo 里的 root）`), `…/volumes/${volume}/_data`, data?.root ?? t('(nothing)', '（什么也没有）'), !!data?.root.endsWith(`/volumes/${volume}/_data`)),
          observe(join(volumeData(volume), 'note'), 'kept in the volume', readText(join(volumeData(volume), 'note'))),
        ];
      },
      async cleanup(ctx) {
        // Last of all the steps' cleanups (they run newest first): the volume goes once no container uses it.
        await removeIfThere(ctx, ctx.state.life);
        if (ctx.state.volume && existsSync(join(volumesDir(), ctx.state.volume))) await nestbox(ctx, ['volume', 'rm', '-f', ctx.state.volume]);
      },
    },
    {
      id: 'stop',
      title: t('Stop it: the processes go, the container stays', '停止它：进程没了，容器还在'),
      explain: t([
        '`nestbox stop` sends SIGTERM to PID 1 only. The kernel protects the init of a PID namespace: a signal it has no handler for is dropped, so a plain `sh` or `sleep` as PID 1 ignores SIGTERM, and stop kills the container\'s cgroup after `-t` seconds (10 by default): exit code 137, 128 + SIGKILL\'s 9. This PID 1 has a handler: it prints a line and exits with 0 at once.',
        '',
        'Its monitor, the process waiting for it, records the exit and releases what the running container held: its cgroup (its namespaces went with its last process). What stays is the container: its directory, with its configuration and its writable layer, and its name. `stop` also leaves a mark, `stopped-by-user`, which tells a restart policy to leave it stopped.',
      ].join('\n'), [
        '`nestbox stop` 只给 1 号进程发 SIGTERM。内核会保护 PID 命名空间的 init 进程：它没有设处理函数的信号会被直接丢掉，所以普通的 `sh` 或 `sleep` 当 1 号进程时对 SIGTERM 置之不理，stop 要等 `-t` 秒（默认 10 秒）之后把容器的控制组整个杀掉，退出码就是 137，即 128 加上 SIGKILL 的 9。这个 1 号进程设了处理函数：它打印一行，然后立刻以 0 退出。',
        '',
        '等着它的监视进程（monitor）记下退出情况，并释放运行中的容器占着的东西：它的控制组（命名空间随最后一个进程一起消失了）。留下来的是容器本身：它的目录（连同配置和可写层），以及它的名字。`stop` 还会留下一个标记 `stopped-by-user`，告诉重启策略（restart policy）别再把它拉起来。',
      ].join('\n')),
      command: 'sudo nestbox stop {life}; sudo nestbox ps -a --filter name={life}',
      syscall: t('kill(PID1, SIGTERM); waitpid (the monitor); rmdir (cgroup)', 'kill(PID1, SIGTERM)；waitpid（监视进程）；rmdir（控制组）'),
      async perform(ctx) {
        const t0 = Date.now();
        must(await nestbox(ctx, ['stop', ctx.state.life]), 'nestbox stop');
        const took = ((Date.now() - t0) / 1000).toFixed(1);
        // stop returns once the end is recorded; the monitor (by then `nestbox internal exited`) exits a moment later.
        await until(() => !alive(ctx.state.firstMonitor, ctx.state.firstMonitorStart), 5000);
        sayOutput(ctx, (await nestbox(ctx, ['ps', '-a', '--filter', `name=${ctx.state.life}`])).stdout);
        return t(`stopped in ${took} s: PID 1 handled SIGTERM`, `${took} 秒就停下了：1 号进程处理了 SIGTERM`);
      },
      async verify(ctx) {
        const { firstPid: pid, lifeId: id, life } = ctx.state;
        const c = containerOf(id);
        const cgroups = ctx.state.firstCgroups.filter((d) => existsSync(d));
        const lines = logLines(id);
        return [
          observe(t(`PID ${pid} (its PID 1)`, `PID ${pid}（它的 1 号进程）`), GONE, alive(pid, ctx.state.firstStart) ? RUNNING : GONE),
          observe(t(`PID ${ctx.state.firstMonitor} (its monitor)`, `PID ${ctx.state.firstMonitor}（它的监视进程）`), GONE, alive(ctx.state.firstMonitor, ctx.state.firstMonitorStart) ? RUNNING : GONE),
          observe(t(`its cgroup directories (${ctx.state.firstCgroups.length})`, `它的控制组目录（${ctx.state.firstCgroups.length} 个）`), GONE, cgroups.length ? cgroups.join(' ') : GONE),
          ...stateOf(c, { status: 'exited', code: 0 }),
          observe(t('the last line of its log', '它日志里的最后一行'), 'life 1: SIGTERM, exiting', lines.at(-1) ?? t('(empty)', '（空）')),
          stoppedMark(c, PRESENT),
          observe(t(`its writable layer: ${join(paths(id).upper, 'root', 'note')}`, `它的可写层：${join(paths(id).upper, 'root', 'note')}`), PRESENT, existsSync(join(paths(id).upper, 'root', 'note')) ? PRESENT : ABSENT),
          observe(t(`its configuration (${paths(id).config})`, `它的配置（${paths(id).config}）`), PRESENT, existsSync(paths(id).config) ? PRESENT : ABSENT),
          observe(t(`its name (${join(namesDir(), life)} ->)`, `它的名字（${join(namesDir(), life)} ->）`), id, nameTarget(life) ?? t('(free)', '（已释放）')),
        ];
      },
    },
    {
      id: 'start',
      title: t('Start it again: a new PID 1, the same files', '再启动它：新的 1 号进程，同样的文件'),
      explain: t([
        '`nestbox start` runs the *same* container again (`nestbox run` would make a new one): the same id, name, configuration and writable layer, and its log goes on. Everything the kernel holds is new: PID 1 is a new process with another host PID, in new namespaces and a new cgroup. The script finds `/lives` as it left it and counts 2; the file exec wrote is still there.',
        '',
        'To compare namespaces, the lab has held the first life\'s PID and UTS namespaces open since the first step (a descriptor of `/proc/PID/ns/pid` each): the kernel gives a freed namespace\'s inode number to the next one made, as it reuses PIDs, so without that the new numbers could be the old ones.',
        '',
        'That is `docker start` too: a stopped container loses its processes and what they held in memory, never its files. Only `rm` takes those.',
      ].join('\n'), [
        '`nestbox start` 把*同一个*容器再运行一遍（`nestbox run` 则会新建一个）：同样的 ID、名字、配置和可写层，日志也接着往下记。内核里的东西则全是新的：1 号进程是一个新进程，宿主机上的 PID 不一样了，命名空间和控制组也都是新的。脚本看到的 `/lives` 还是上次留下的样子，于是数到 2；exec 写的文件也还在。',
        '',
        '为了比较命名空间，实验从第一步起就把第一次运行时的 PID 和 UTS 命名空间打开拿着（各拿一个 `/proc/PID/ns/pid` 这样的文件描述符）：一个命名空间被释放以后，内核会把它的 inode 号分给下一个新建的命名空间，就像 PID 会被重复使用一样；不这样做的话，新的编号可能恰好就是旧的。',
        '',
        '`docker start` 也是这样：停止的容器丢掉的是进程，以及进程放在内存里的东西，从来不丢文件。只有 `rm` 才会把文件拿走。',
      ].join('\n')),
      command: 'sudo nestbox start {life}; sudo nestbox logs {life}',
      syscall: t('the same calls as run: mkdir (cgroup); unshare; mount("overlay") over the same upperdir; execve("sh")',
        '和 run 时一样的调用：mkdir（控制组）；unshare；mount("overlay")，upperdir 还是原来那个；execve("sh")'),
      async perform(ctx) {
        must(await nestbox(ctx, ['start', ctx.state.life]), 'nestbox start');
        const c = findContainer(ctx.state.life);
        recordPid1(ctx, c);
        Object.assign(ctx.state, { pid1: c.state.Pid, pid1Start: c.state.PidStart, monitor: c.state.MonitorPid });
        // The script's first line reaches the log a moment after start returns.
        await until(() => logLines(c.id).includes('life 2 begins'), 5000);
        sayOutput(ctx, (await nestbox(ctx, ['logs', ctx.state.life])).stdout);
        return t(`its PID 1 is now PID ${c.state.Pid} on the host (it was ${ctx.state.firstPid})`, `它的 1 号进程现在是宿主机上的 PID ${c.state.Pid}（原来是 ${ctx.state.firstPid}）`);
      },
      async verify(ctx) {
        const { pid1: pid, firstPid, lifeId: id, life } = ctx.state;
        const c = containerOf(id);
        return [
          observe(t(`the container its name points to (${join(namesDir(), life)})`, `它的名字指向的容器（${join(namesDir(), life)}）`), id, nameTarget(life) ?? t('(free)', '（已释放）')),
          ...stateOf(c, { status: 'running' }),
          observeThat(t('its PID 1 on the host (State.Pid)', '它的 1 号进程在宿主机上的 PID（State.Pid）'), t(`a new process, ≠ ${firstPid}`, `一个新进程，≠ ${firstPid}`), pid,
            alive(pid, ctx.state.pid1Start) && (pid !== firstPid || ctx.state.pid1Start !== ctx.state.firstStart)),
          ...COMPARED.map((type) => {
            const [before, now] = [ctx.state.firstNs[type], namespaceId(pid, type)];
            return observeThat(`/proc/${pid}/ns/${type}`, t(`new: ≠ ${type}:[${before}] of life 1 (held by the lab)`, `新的：≠ 第一次运行时的 ${type}:[${before}]（实验拿着它）`), `${type}:[${now}]`, now !== undefined && now !== before);
          }),
          observe(t(`/root/note, read through /proc/${pid}/root`, `经 /proc/${pid}/root 读到的 /root/note`), 'written by exec', readText(`/proc/${pid}/root/root/note`)),
          observe(t(`/lives (/proc/${pid}/root/lives)`, `/lives（/proc/${pid}/root/lives）`), '2', readText(`/proc/${pid}/root/lives`)),
          observe(t(`its log (${paths(id).log}), both lives`, `它的日志（${paths(id).log}），两次运行都在`), 'life 1 begins | life 1: SIGTERM, exiting | life 2 begins', logLines(id).join(' | ')),
          stoppedMark(c, ABSENT),
        ];
      },
      async cleanup(ctx) {
        for (const fd of Object.values(ctx.state.heldNs ?? {})) try { closeSync(fd!); } catch { /* closed */ }
        ctx.state.heldNs = {};
      },
    },
    {
      id: 'monitor',
      title: t('What outlives the command: the monitor', '命令返回之后还留着什么：监视进程'),
      explain: t([
        '`nestbox start` has returned, and no Node process is left for the container. The nestbox that made it replaced itself (`execve` keeps the PID) with a small Perl program, `bin/nestbox-monitor`, which is PID 1\'s parent now. Only a parent can wait for a process and collect its exit status (`waitpid`), so whatever keeps PID 1\'s exit code must be its parent from start to end: under Docker that is `containerd-shim-runc-v2`, under Podman `conmon`.',
        '',
        'The monitor also holds the other ends of PID 1\'s stdout and stderr: two pipes, its fd 3 and fd 4 being PID 1\'s fd 1 and fd 2 (the same pipe inodes). It writes each line into `container.log` in Docker\'s json-file format, serves `attach.sock` for `nestbox attach`, and when PID 1 ends it runs `nestbox internal exited ID`, which records the exit (conmon\'s `--exit-command` does the same for Podman).',
      ].join('\n'), [
        '`nestbox start` 已经返回，容器身边没有留下任何 Node 进程。创建容器的那个 nestbox 用 `execve` 把自己换成了一个小小的 Perl 程序 `bin/nestbox-monitor`（`execve` 不改变 PID），它现在就是 1 号进程的父进程。只有父进程才能等待一个进程、收取它的退出状态（`waitpid`），所以要保管 1 号进程的退出码，就得从头到尾当它的父进程：在 Docker 下这是 `containerd-shim-runc-v2` 的活，在 Podman 下是 `conmon` 的活。',
        '',
        '监视进程还拿着 1 号进程标准输出和标准错误的另一端：两根管道（pipe），它的 fd 3 和 fd 4 就是 1 号进程的 fd 1 和 fd 2（管道的 inode 号相同）。它把每一行按 Docker 的 json-file 格式写进 `container.log`，为 `nestbox attach` 提供 `attach.sock` 这个套接字；1 号进程结束时，它执行 `nestbox internal exited ID`，由它记下退出情况（Podman 的 conmon 用 `--exit-command` 做同样的事）。',
      ].join('\n')),
      command: "ps -o pid,ppid,comm -p {pid1}; tr '\\0' ' ' < /proc/{monitor}/cmdline; ls -l /proc/{monitor}/fd /proc/{pid1}/fd; tail -1 /var/lib/nestbox/containers/{lifeId}/container.log",
      syscall: 'read("/proc/{pid1}/status"); readlink("/proc/{monitor}/fd/N"); read("/proc/{monitor}/net/unix")',
      async verify(ctx) {
        const { pid1: pid, lifeId: id } = ctx.state;
        const mon = processStatus(pid).ppid;
        const argv = (() => { try { return readFileSync(`/proc/${mon}/cmdline`, 'utf8').split('\0'); } catch { return []; } })();
        const shownArgv = argv.slice(0, 3).join(' ');
        const pipes = [[3, 1], [4, 2]].map(([m, p]) => {
          const [a, b] = [fd(mon, m), fd(pid, p)];
          return observeThat(t(`/proc/${mon}/fd/${m} (monitor) and /proc/${pid}/fd/${p} (PID 1)`, `/proc/${mon}/fd/${m}（监视进程）和 /proc/${pid}/fd/${p}（1 号进程）`),
            t('one pipe: the same pipe:[inode]', '同一根管道：pipe:[inode] 相同'), `${a}, ${b}`, a === b && a.startsWith('pipe:'));
        });
        const last = logLines(id).length ? readFileSync(paths(id).log, 'utf8').trim().split('\n').pop()! : '{}';
        let keys: string | Text = t('(not JSON)', '（不是 JSON）');
        try { keys = Object.keys(JSON.parse(last)).join(' '); } catch { /* shown as not JSON */ }
        return [
          observe(t(`the parent of PID ${pid} (PPid in /proc/${pid}/status)`, `PID ${pid} 的父进程（/proc/${pid}/status 里的 PPid）`), `${ctx.state.monitor} perl`, `${mon} ${commOf(mon)}`),
          observeThat(t(`its command line (/proc/${mon}/cmdline)`, `它的命令行（/proc/${mon}/cmdline）`), `perl …/bin/nestbox-monitor ${pid} …`, shownArgv || GONE,
            argv[0] === 'perl' && !!argv[1]?.endsWith('/bin/nestbox-monitor') && argv[2] === String(pid)),
          observe(t(`processes whose command line names ${id}`, `命令行里带着 ${id} 的进程`), `${mon} perl`, processesNaming(id).join(', ') || t('(none)', '（没有）')),
          ...pipes,
          observe(t(`PID 1's stdin (/proc/${pid}/fd/0): no -i`, `1 号进程的标准输入（/proc/${pid}/fd/0）：没有 -i`), '/dev/null', fd(pid, 0)),
          observe(t(`the socket the monitor listens on (/proc/${mon}/net/unix)`, `监视进程监听的套接字（/proc/${mon}/net/unix）`), paths(id).socket, socketPaths(mon).join(' ') || t('(none)', '（没有）')),
          observe(t('the fields of the last line of container.log (json-file)', 'container.log 最后一行的字段（json-file）'), 'log stream time', keys),
        ];
      },
    },
    {
      id: 'shell',
      title: t('A shell as PID 1: exec starts another process beside it', '以 shell 为 1 号进程：exec 在它旁边另起一个进程'),
      explain: t([
        '`run -dit` gives a detached container a terminal (`-t`) and keeps its input open (`-i`); with no command, the image\'s default, `/bin/sh`, is PID 1. Its stdin, stdout and stderr are the terminal `/dev/pts/0`, whose other side (the master) the monitor holds.',
        '',
        'There are two ways in. `nestbox exec` starts *another* process in the container: it joins PID 1\'s namespaces and cgroup and gets a PID of its own inside, and its parent is the `nestbox exec` you ran, which holds its input and output; when it ends, only it ends. `nestbox attach` (next step) starts nothing: it joins your terminal, through the monitor\'s socket, to PID 1\'s own. The check runs `nestbox exec {shell} sleep 30`, looks at the sleep from the host, then ends it.',
      ].join('\n'), [
        '`run -dit` 给后台容器一个终端（`-t`），并让它的输入保持打开（`-i`）；不给命令时，用的是镜像默认的 `/bin/sh`，它就是 1 号进程。它的标准输入、输出和错误输出都是终端 `/dev/pts/0`，这个终端的另一端（主设备，master）由监视进程拿着。',
        '',
        '进入容器有两条路。`nestbox exec` 在容器里*另起*一个进程：它加入 1 号进程的命名空间和控制组，在容器里有自己的 PID，它的父进程是你运行的那个 `nestbox exec`，由后者拿着它的输入和输出；它结束时，结束的只是它自己。`nestbox attach`（下一步）什么也不启动：它经监视进程的套接字，把你的终端接到 1 号进程自己的终端上。检查时会运行 `nestbox exec {shell} sleep 30`，从宿主机上看看这个 sleep，再把它结束掉。',
      ].join('\n')),
      command: 'sudo nestbox run -dit --name {shell} --net none default; sudo nestbox exec {shell} sleep 30',
      syscall: t('exec: setns(mnt, uts, ipc, pid, net, cgroup of PID 1); write("cgroup.procs"); execve("sleep")',
        'exec：setns(mnt, uts, ipc, pid, net, cgroup) 加入 1 号进程的命名空间；write("cgroup.procs")；execve("sleep")'),
      async perform(ctx) {
        must(await runRecorded(ctx, ctx.state.shell, ['run', '-dit', '--name', ctx.state.shell, '--net', 'none', 'default']), 'nestbox run');
        const c = findContainer(ctx.state.shell);
        recordPid1(ctx, c);
        Object.assign(ctx.state, { shellId: c.id, shellPid: c.state.Pid, shellStart: c.state.PidStart, shellMonitor: c.state.MonitorPid });
        return t(`container ${c.id} runs /bin/sh as its PID 1 (PID ${c.state.Pid} on the host)`, `容器 ${c.id} 以 /bin/sh 为 1 号进程（宿主机上的 PID ${c.state.Pid}）`);
      },
      async verify(ctx) {
        const { shellPid: pid, shellMonitor: mon } = ctx.state;
        const c = containerOf(ctx.state.shellId);
        const s = processStatus(pid);
        const stdin = fd(pid, 0);
        const seen = c ? await execLooked(ctx, c) : {};
        const inside = seen.nspid?.split(' ').at(-1);
        return [
          observe(t(`PID 1's command (/proc/${pid}/cmdline)`, `1 号进程的命令（/proc/${pid}/cmdline）`), '/bin/sh', commandLine(pid)),
          observe(t('its parent: the monitor', '它的父进程：监视进程'), `${mon} perl`, `${s.ppid} ${commOf(s.ppid)}`),
          observeThat(t(`its stdin (/proc/${pid}/fd/0)`, `它的标准输入（/proc/${pid}/fd/0）`), t('a terminal, /dev/pts/N', '一个终端，/dev/pts/N'), stdin, stdin.startsWith('/dev/pts/')),
          observeThat(t('the exec\'d sleep: NSpid (on the host, inside)', 'exec 起来的 sleep：NSpid（宿主机上的、容器里的）'), t('a PID of its own inside, ≠ 1', '在容器里有自己的 PID，≠ 1'), seen.nspid ?? t('(not found)', '（没找到）'), !!inside && inside !== '1'),
          observeThat(t('its parent: not the monitor', '它的父进程：不是监视进程'), t(`${seen.execPid}, the nestbox exec the lab ran`, `${seen.execPid}，即实验运行的 nestbox exec`),
            seen.ppid !== undefined ? `${seen.ppid} ${seen.parent}` : t('(not found)', '（没找到）'), seen.ppid !== undefined && seen.ppid === seen.execPid),
          observe(t(`after the sleep ended: PID ${pid} (PID 1)`, `sleep 结束之后：PID ${pid}（1 号进程）`), RUNNING, alive(pid, ctx.state.shellStart) ? RUNNING : GONE),
        ];
      },
      async cleanup(ctx) {
        await removeIfThere(ctx, ctx.state.shell);
      },
    },
    {
      id: 'detach',
      title: t('Attach to PID 1, then leave with Ctrl-P Ctrl-Q', 'attach 到 1 号进程，再用 Ctrl-P Ctrl-Q 离开'),
      explain: t([
        'Attached, you type into PID 1\'s terminal and read what it writes. To leave without ending it, type the detach keys, Ctrl-P then Ctrl-Q (Docker\'s; `--detach-keys` chooses others): `nestbox attach` keeps them out of the input, says `read escape sequence` and returns, and PID 1 runs on. Ctrl-C would not do it: through a terminal it becomes a SIGINT for the container\'s foreground process, which an interactive shell ignores.',
        '',
        'The lab types a line, waits for the answer, then the two keys. What PID 1 wrote is in the log too: the monitor reads the terminal whether anyone is attached or not.',
      ].join('\n'), [
        'attach 上以后，你敲的字进入 1 号进程的终端，它写出的东西你也能看到。想离开又不结束它，就按脱离键（detach keys）：先 Ctrl-P 再 Ctrl-Q（Docker 的默认键，`--detach-keys` 可以换成别的）。`nestbox attach` 不会把这两个键传给容器，它打印 `read escape sequence` 后返回，1 号进程照常运行。Ctrl-C 不行：它经过终端，变成发给容器前台进程的 SIGINT，而交互式 shell 会忽略它。',
        '',
        '实验先敲一行命令，等到回答，再按这两个键。1 号进程写出的东西日志里也有：不管有没有人 attach，监视进程都在读这个终端。',
      ].join('\n')),
      command: t('sudo nestbox attach {shell}   # then: echo "hello from PID $$", Enter, Ctrl-P Ctrl-Q',
        'sudo nestbox attach {shell}   # 然后：echo "hello from PID $$"，回车，Ctrl-P Ctrl-Q'),
      syscall: t('connect("containers/{shellId}/attach.sock"); write (to the terminal\'s master, by the monitor)',
        'connect("containers/{shellId}/attach.sock")；write（监视进程写到终端的主设备端）'),
      async perform(ctx) {
        const line = 'echo "hello from PID $$"';
        const a = await attachTyping(ctx, ctx.state.shell, [
          { after: /^/, type: `${line}\n`, shown: line },
          { after: /hello from PID 1\b/, type: '\x10\x11', shown: 'Ctrl-P Ctrl-Q' },
        ]);
        sayOutput(ctx, plainText(a.stdout));
        sayOutput(ctx, plainText(a.stderr));
        ctx.state.detached = plainText(a.stderr).trim();
        if (a.code !== 0) throw new Error(pick(`nestbox attach failed (exit ${a.code}): ${lastLine(a.stderr)}`, `nestbox attach 失败（退出码 ${a.code}）：${lastLine(a.stderr)}`));
        return t('attached, answered by PID 1, detached', '已 attach，1 号进程作了回答，已脱离');
      },
      async verify(ctx) {
        const { shellPid: pid, shellId: id } = ctx.state;
        const c = containerOf(id);
        return [
          observe(t('what nestbox attach said as it left (stderr)', 'nestbox attach 离开时说的话（标准错误）'), 'read escape sequence', ctx.state.detached ?? t('(nothing)', '（什么也没有）')),
          observe(t(`PID ${pid} (PID 1, the shell)`, `PID ${pid}（1 号进程，那个 shell）`), RUNNING, alive(pid, ctx.state.shellStart) ? RUNNING : GONE),
          ...stateOf(c, { status: 'running' }),
          observe(t(`its answer, in its log (${paths(id).log})`, `它的回答，在它的日志里（${paths(id).log}）`), 'hello from PID 1', logLines(id).map((l) => l.replace(/\r/g, '')).find((l) => l === 'hello from PID 1') ?? t('(not there)', '（没有）')),
        ];
      },
    },
    {
      id: 'exit',
      title: t('End PID 1 from inside, through attach', '经 attach 从里面结束 1 号进程'),
      explain: t(
        'In an attached shell, `exit` ends the shell, and that shell is PID 1: the kernel kills what is left in its PID namespace, the monitor collects exit status 0, and the container is `exited`, though nobody ran `stop`. Many first `docker attach` sessions end this way, by surprise. In a shell started with `exec`, the same `exit` ends only that shell, and the container runs on.',
        '在 attach 上的 shell 里，`exit` 结束的是这个 shell，而它就是 1 号进程：内核杀掉它的 PID 命名空间里剩下的进程，监视进程收到退出状态 0，容器就成了 `exited`，尽管谁也没有运行 `stop`。很多人第一次用 `docker attach`，就是这样出乎意料地把容器弄停的。在用 `exec` 打开的 shell 里，同样一个 `exit` 只结束那个 shell，容器照常运行。',
      ),
      command: t('sudo nestbox attach {shell}   # then: exit',
        'sudo nestbox attach {shell}   # 然后：exit'),
      syscall: t('write("exit\\n") to the terminal; exit_group(0) (PID 1); waitpid (the monitor)',
        'write("exit\\n") 写到终端；exit_group(0)（1 号进程）；waitpid（监视进程）'),
      exercise: {
        task: t(
          'In a second terminal on the host, make the PID 1 of container **{shell}** end **from inside**: attach to it and end its shell, without `nestbox stop` or `nestbox kill`. Then check.',
          '在宿主机的第二个终端里，让容器 **{shell}** 的 1 号进程**从里面**结束：attach 到它上面，结束它的 shell，不要用 `nestbox stop` 或 `nestbox kill`。然后检查。',
        ),
        hints: [
          t('`nestbox exec {shell} sh` starts a *second* shell beside PID 1, and its `exit` ends only that one. To talk to PID 1 itself, join its terminal: `sudo nestbox attach {shell}` (press Enter once to see its prompt).',
            '`nestbox exec {shell} sh` 会在 1 号进程旁边*再*起一个 shell，它的 `exit` 只结束它自己。要跟 1 号进程本身说话，就接到它的终端上：`sudo nestbox attach {shell}`（按一下回车就能看到它的提示符）。'),
          t('Attached, type `exit` and Enter: the shell that ends is PID 1, and the container with it; attach returns its exit status, 0. `stop` and `kill` end it from outside, and leave the mark the check looks for (`stopped-by-user`).',
            'attach 上以后，输入 `exit` 再回车：结束的 shell 就是 1 号进程，容器也跟着结束；attach 返回它的退出状态 0。`stop` 和 `kill` 是从外面结束它，会留下检查要找的那个标记（`stopped-by-user`）。'),
        ],
        shell: 'host',
        async solve(ctx) {
          ctx.say(`$ sudo nestbox attach ${ctx.state.shell}`);
          ctx.say(t('  (typed) exit', '  （键入）exit'));
          const r = await ctx.exec(process.execPath, [bin, 'attach', ctx.state.shell], 'exit\n');
          if (r.code !== 0) throw new Error(pick(`nestbox attach returned ${r.code}: ${lastLine(r.stderr)}`, `nestbox attach 返回了 ${r.code}：${lastLine(r.stderr)}`));
        },
        async mistake(ctx) {
          // exec instead of attach: a second shell exits, PID 1 never hears of it.
          await nestbox(ctx, ['exec', ctx.state.shell, 'sh', '-c', 'exit']);
        },
      },
      async verify(ctx) {
        const { shellPid: pid, shellId: id } = ctx.state;
        if (!alive(pid, ctx.state.shellStart)) await settled(id);
        const c = containerOf(id);
        return [
          observe(t(`PID ${pid} (its PID 1, the shell)`, `PID ${pid}（它的 1 号进程，那个 shell）`), GONE, alive(pid, ctx.state.shellStart) ? RUNNING : GONE),
          ...stateOf(c, { status: 'exited', code: 0 }),
          stoppedMark(c, ABSENT),
        ];
      },
    },
    {
      id: 'volume',
      title: t('The volume outlives its container', '数据卷比容器活得久'),
      explain: t([
        'A named volume is a directory of its own, `volumes/NAME/_data` under `/var/lib/nestbox` (Docker: `/var/lib/docker/volumes/NAME/_data`), bound into each container that mounts it. While any container uses it, running or stopped, `volume rm` refuses.',
        '',
        '`rm -f` removes the container with its writable layer: `/root/note` is gone for good. The volume stays, and a new container that mounts it with the same `-v` reads the file the first one wrote. An anonymous volume (`-v /data`, no name) would go with `rm -v`, or with a `--rm` container.',
      ].join('\n'), [
        '命名数据卷是一个独立的目录，即 `/var/lib/nestbox` 下的 `volumes/NAME/_data`（Docker 的是 `/var/lib/docker/volumes/NAME/_data`），绑定挂载到每个用它的容器里。只要还有容器用着它，不管容器在运行还是已经停止，`volume rm` 都会拒绝。',
        '',
        '`rm -f` 把容器连同它的可写层一起删掉：`/root/note` 从此没了。数据卷还在，一个用同样的 `-v` 挂上它的新容器能读到第一个容器写的文件。匿名数据卷（anonymous volume，`-v /data`，没有名字）则会随 `rm -v` 一起删掉，`--rm` 的容器结束时也会删掉它。',
      ].join('\n')),
      command: 'sudo nestbox volume rm {volume}; sudo nestbox rm -f {life}; sudo nestbox run --rm --net none -v {volume}:/data default -- cat /data/note',
      syscall: t('rename + unlink (the container\'s directory); mount(volumes/{volume}/_data, "/data", MS_BIND) in a new container',
        'rename + unlink（容器的目录）；在新容器里 mount(volumes/{volume}/_data, "/data", MS_BIND)'),
      async perform(ctx) {
        const refused = await nestbox(ctx, ['volume', 'rm', ctx.state.volume]);
        ctx.state.refusal = lastLine(refused.stderr);
        ctx.say(`  ${ctx.state.refusal}`);
        must(await nestbox(ctx, ['rm', '-f', ctx.state.life]), 'nestbox rm -f');
        sayOutput(ctx, (await nestbox(ctx, ['volume', 'ls', '--filter', `name=${ctx.state.volume}`])).stdout);
        const r = must(await runRecorded(ctx, ctx.state.reader, ['run', '--rm', '--name', ctx.state.reader, '--net', 'none', '-v', `${ctx.state.volume}:/data`, 'default', '--', 'cat', '/data/note']), 'nestbox run');
        ctx.state.readBack = r.stdout.trim();
        sayOutput(ctx, r.stdout);
        return t(`${ctx.state.life} removed; a new container read the volume`, `${ctx.state.life} 已删除；一个新容器读到了数据卷里的文件`);
      },
      async verify(ctx) {
        const { lifeId: id, life, volume } = ctx.state;
        return [
          observeThat(t('volume rm while the container used it', '容器还在用时执行 volume rm'), t('refused: volume is in use', '被拒绝：volume is in use'), ctx.state.refusal ?? t('(nothing)', '（什么也没有）'), !!ctx.state.refusal?.includes('volume is in use')),
          observe(t(`its directory ${paths(id).dir}, with its writable layer`, `它的目录 ${paths(id).dir}，连同可写层`), GONE, existsSync(paths(id).dir) ? PRESENT : GONE),
          observe(t(`its name (${join(namesDir(), life)})`, `它的名字（${join(namesDir(), life)}）`), t('free', '已释放'), lstatSync(join(namesDir(), life), { throwIfNoEntry: false }) ? t('taken', '仍被占用') : t('free', '已释放')),
          observe(join(volumeData(volume), 'note'), 'kept in the volume', readText(join(volumeData(volume), 'note'))),
          observe(t(`what a new container read (-v ${volume}:/data)`, `新容器读到的内容（-v ${volume}:/data）`), 'kept in the volume', ctx.state.readBack ?? t('(nothing)', '（什么也没有）')),
          observe(t(`the new container (--rm): ${ctx.state.reader}`, `那个新容器（--rm）：${ctx.state.reader}`), GONE, containerOf(ctx.state.reader) ? PRESENT : GONE),
        ];
      },
      async cleanup(ctx) {
        await removeIfThere(ctx, ctx.state.reader);
      },
    },
    {
      id: 'restart',
      title: t('A restart policy: on-failure:2', '重启策略：on-failure:2'),
      explain: t([
        '`--restart` asks the monitor to start the container again when PID 1 ends: `no` (the default), `on-failure[:N]` (after a non-zero exit, at most N times), `always` and `unless-stopped`. Restarts are spaced out as Docker spaces them: 100 ms before the first, twice as long before each next one (at most a minute), back to 100 ms after a run of 10 s. `inspect` counts them (`RestartCount`).',
        '',
        'This PID 1 prints a line and exits with 1: one run and two restarts, then the policy gives up and the container stays exited. A container stopped by hand (`stop`, `kill`) is never restarted by its policy; and nestbox has no daemon, so no policy brings a container back after a reboot.',
      ].join('\n'), [
        '`--restart` 让监视进程在 1 号进程结束时把容器再启动起来：`no`（默认）、`on-failure[:N]`（非零退出时才重启，最多 N 次）、`always` 和 `unless-stopped`。两次重启之间的间隔和 Docker 一样：第一次之前等 100 毫秒，以后每次加倍（最多一分钟），容器连续运行满 10 秒后又回到 100 毫秒。`inspect` 会记下重启的次数（`RestartCount`）。',
        '',
        '这个 1 号进程打印一行就以 1 退出：运行一次、重启两次之后，策略就放弃了，容器停在 exited 状态。手动停止（`stop`、`kill`）的容器，重启策略绝不会再拉起它；而且 nestbox 没有守护进程（daemon），所以机器重启之后，什么策略也不会把容器带回来。',
      ].join('\n')),
      command: `sudo nestbox run -d --name {flaky} --net none --restart on-failure:2 default -- sh -c '${FLAKY_SCRIPT}'; sudo nestbox inspect -f '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' {flaky}`,
      syscall: t('waitpid (the monitor); then the calls of start again, after 100 ms, then 200 ms',
        'waitpid（监视进程）；然后把 start 的那些调用再做一遍：第一次隔 100 毫秒，第二次隔 200 毫秒'),
      async perform(ctx) {
        const r = must(await runRecorded(ctx, ctx.state.flaky, ['run', '-d', '--name', ctx.state.flaky, '--net', 'none', '--restart', 'on-failure:2', 'default', '--', 'sh', '-c', FLAKY_SCRIPT]), 'nestbox run');
        ctx.state.flakyId = r.stdout.trim();
        const done = () => { const c = containerOf(ctx.state.flakyId); return !!c && c.state.Status === 'exited' && c.state.RestartCount === 2 && !new Ledger(`ctr-${c.id}`).exists(); };
        if (!(await until(done, 30_000))) throw new Error(pick('the container was not restarted twice within 30 s', '容器没能在 30 秒内重启两次'));
        sayOutput(ctx, (await nestbox(ctx, ['inspect', '-f', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}', ctx.state.flaky])).stdout);
        sayOutput(ctx, (await nestbox(ctx, ['logs', '-t', ctx.state.flaky])).stdout);
        return t('run once, restarted twice, then left exited', '运行一次、重启两次，然后就停在 exited 状态');
      },
      async verify(ctx) {
        const c = containerOf(ctx.state.flakyId);
        const attempts = c ? logLines(c.id).filter((l) => l === 'attempt, exit 1').length : 0;
        return [
          observe(t('its restarts (RestartCount)', '它的重启次数（RestartCount）'), 2, c?.state.RestartCount ?? REMOVED),
          ...stateOf(c, { status: 'exited', code: 1 }),
          observe(t('runs in its log (lines "attempt, exit 1")', '它日志里的运行次数（"attempt, exit 1" 的行数）'), 3, attempts),
          stoppedMark(c, ABSENT),
        ];
      },
      async cleanup(ctx) {
        await removeIfThere(ctx, ctx.state.flaky);
      },
    },
    {
      id: 'remove',
      title: t('Remove the containers, then the volume', '删掉容器，再删掉数据卷'),
      explain: t(
        '`rm -f` stops each container that still runs (SIGTERM, then at once SIGKILL to its cgroup) and removes its directory and name; once no container uses it, `volume rm` removes the volume. The lab wrote each container and the volume in its ledger before making them, so a lab that is killed is cleaned up the same way by `nestbox cleanup`.',
        '`rm -f` 停掉每个还在运行的容器（先发 SIGTERM，紧接着给它的控制组发 SIGKILL），并删除它的目录和名字；等到没有容器再用这个数据卷，`volume rm` 就能把它删掉。实验在创建每个容器和这个数据卷之前，都先把它们记进了自己的台账（ledger），所以即使实验被杀掉，`nestbox cleanup` 也会用同样的办法把它们清理掉。',
      ),
      command: 'sudo nestbox rm -f {shell} {flaky}; sudo nestbox volume rm {volume}',
      syscall: t('rename + unlink (their directories and names, the volume\'s directory)', 'rename + unlink（它们的目录和名字，还有数据卷的目录）'),
      async perform(ctx) {
        must(await nestbox(ctx, ['rm', '-f', ctx.state.shell, ctx.state.flaky]), 'nestbox rm -f');
        must(await nestbox(ctx, ['volume', 'rm', ctx.state.volume]), 'nestbox volume rm');
        return t('every container of the lab and its volume removed', '实验的所有容器和数据卷都已删除');
      },
      async verify(ctx) {
        const prefix = `nb-lab-${ctx.unique}-`;
        const left = listContainers().filter((c) => c.spec.name.startsWith(prefix)).map((c) => c.spec.name);
        const ids = [ctx.state.lifeId, ctx.state.shellId, ctx.state.flakyId].filter((x): x is string => !!x);
        const ledgers = ids.filter((id) => new Ledger(`ctr-${id}`).exists());
        return [
          observe(t(`containers named ${prefix}* (nestbox ps -a)`, `名字以 ${prefix} 开头的容器（nestbox ps -a）`), t('none', '没有'), left.join(' ') || t('none', '没有')),
          observe(t(`their directories under ${join(libDir(), 'containers')}`, `它们在 ${join(libDir(), 'containers')} 下的目录`), GONE, ids.filter((id) => existsSync(paths(id).dir)).join(' ') || GONE),
          observe(t('their ledgers (what a running container holds on the host)', '它们的台账（运行中的容器在宿主机上占着的东西）'), GONE, ledgers.join(' ') || GONE),
          observe(t(`the volume (${join(volumesDir(), ctx.state.volume)})`, `数据卷（${join(volumesDir(), ctx.state.volume)}）`), GONE, existsSync(join(volumesDir(), ctx.state.volume)) ? PRESENT : GONE),
        ];
      },
    },
  ],
};

export default lab;
