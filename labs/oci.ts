// Lab "oci": the interface every engine uses to call a runtime. Docker, podman and containerd do not
// make containers themselves: they write an OCI bundle (config.json and a root filesystem) and call
// a runtime with runc's command line. Here the learner is the engine: a bundle of the default
// rootfs, then `nestbox oci create` (the first process made and held), `state` (asked of the
// kernel), `start` (let go: the exercise), `delete`. Each claim is read back from /proc and the
// cgroup files, not from the runtime's own answer.
//
// Nothing may outlive the lab: the container's first process is written in the lab's ledger as
// soon as `create` has made it, and the create step's cleanup deletes the container (the
// runtime's own ledger then goes with it). Its state lives in the lab's work directory (--root).
import type { Lab, LabContext } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { rootfsDir, nestboxBin } from '../src/host/paths.js';
import { startTime } from '../src/host/ledger.js';
import { commandLine, isAlive, namespaceId, processStatus } from '../src/kernel/proc.js';
import { shellQuote } from '../src/net/exec.js';
import { hostnameOf } from './uts.js';
import { sleep } from './kit.js';

interface OciState {
  /** The container's id (nb-lab-UNIQUE), its bundle and the runtime's state directory (--root). */
  id: string;
  bundle: string;
  root: string;
  /** Its first process, as a host PID, and that process's start time. */
  pid: number;
  pidStart?: number;
  /** Its cgroup directories, as `create` recorded them. */
  cgroupDirs: string[];
}

const bin = nestboxBin();
const HOSTNAME = 'oci-lab';
/** The program config.json names: it marks that it ran, then waits. */
const ARGS = ['sh', '-c', 'echo started > /started; exec sleep 600'];

/**
 * `nestbox oci --root ROOT ARGS`, narrated as the learner would type it. Its output goes through
 * files: a created container keeps the stdout and stderr it was given, as runc's does, and a pipe
 * would stay open for as long as the container lives.
 */
async function oci(ctx: LabContext<OciState>, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const all = ['oci', '--root', ctx.state.root, ...args];
  ctx.say(`$ sudo nestbox ${all.map(shellQuote).join(' ')}`);
  const [outFile, errFile] = [join(ctx.workDir, 'oci.out'), join(ctx.workDir, 'oci.err')];
  const [out, err] = [openSync(outFile, 'w'), openSync(errFile, 'w')];
  try {
    const code = await new Promise<number>((done) => {
      const child = spawn(process.execPath, [bin, ...all], { stdio: ['ignore', out, err] });
      child.once('exit', (c) => done(c ?? 1));
    });
    return { code, stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(errFile, 'utf8') };
  } finally {
    closeSync(out);
    closeSync(err);
  }
}

/** `state ID` as JSON, or undefined when the runtime knows no such container. */
async function stateOf(ctx: LabContext<OciState>, quiet = false): Promise<{ status: string; pid: number } | undefined> {
  const r = quiet
    ? await new Promise<{ code: number; stdout: string }>((done) => {
      const child = spawn(process.execPath, [bin, 'oci', '--root', ctx.state.root, 'state', ctx.state.id], { stdio: ['ignore', 'pipe', 'ignore'] });
      let stdout = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.once('close', (c) => done({ code: c ?? 1, stdout }));
    })
    : await oci(ctx, ['state', ctx.state.id]);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
}

const lab: Lab<OciState> = {
  id: 'oci',
  title: t('Be the engine: an OCI bundle, and runc\'s create, start, state, delete', '当一回引擎：OCI bundle，以及 runc 的 create、start、state、delete'),
  module: 14,
  lesson: 'run',
  needs: ['root', 'ns-mnt', 'ns-pid', 'rootfs'],
  steps: [
    {
      id: 'bundle',
      title: t('Write a bundle: config.json and a root filesystem', '写一个 bundle：config.json 和一个根文件系统'),
      explain: t(
        'An engine hands a runtime a *bundle*: a directory with `config.json` (the program, its user, the namespaces, mounts, limits, capabilities) and the root filesystem it names. `nestbox oci spec` writes a starting config, as `runc spec` does; the lab changes its program and hostname.',
        '引擎交给运行时的是一个 *bundle*：一个目录，里面有 `config.json`（要运行的程序、用户、命名空间、挂载、限制、能力），以及它指定的根文件系统。`nestbox oci spec` 写出一份起步用的配置，就像 `runc spec` 那样；实验改掉其中的程序和主机名。',
      ),
      command: 'mkdir bundle && cp -a /var/lib/nestbox/rootfs/default bundle/rootfs && nestbox oci spec --bundle bundle',
      async perform(ctx) {
        ctx.state.id = `nb-lab-${ctx.unique}`;
        ctx.state.bundle = join(ctx.workDir, 'bundle');
        ctx.state.root = join(ctx.workDir, 'oci-state');
        await ctx.exec('mkdir', ['-p', ctx.state.bundle]);
        const copy = await ctx.exec('cp', ['-a', rootfsDir('default'), join(ctx.state.bundle, 'rootfs')]);
        if (copy.code !== 0) throw new Error(pick(`could not copy the rootfs: ${copy.stderr.trim()}`, `无法复制根文件系统：${copy.stderr.trim()}`));
        const spec = await oci(ctx, ['spec', '--bundle', ctx.state.bundle]);
        if (spec.code !== 0) throw new Error(pick(`nestbox oci spec failed: ${spec.stderr.trim()}`, `nestbox oci spec 失败：${spec.stderr.trim()}`));
        const file = join(ctx.state.bundle, 'config.json');
        const config = JSON.parse(readFileSync(file, 'utf8'));
        config.process.args = ARGS;
        config.hostname = HOSTNAME;
        writeFileSync(file, JSON.stringify(config, null, 2) + '\n');
        return t(`bundle ${ctx.state.bundle}: config.json runs ${ARGS.join(' ')}`, `bundle ${ctx.state.bundle}：config.json 运行 ${ARGS.join(' ')}`);
      },
      async verify(ctx) {
        const config = JSON.parse(readFileSync(join(ctx.state.bundle, 'config.json'), 'utf8'));
        return [
          observe(t('config.json: root.path', 'config.json：root.path'), 'rootfs', config.root?.path),
          observe(t('config.json: process.args', 'config.json：process.args'), ARGS.join(' '), (config.process?.args ?? []).join(' ')),
          observe(t('config.json: the namespaces asked for', 'config.json：要求的命名空间'), 'pid network ipc uts mount cgroup', (config.linux?.namespaces ?? []).map((n: { type: string }) => n.type).join(' ')),
          observe(t('the root filesystem has a shell', '根文件系统里有 shell'), 'yes', existsSync(join(ctx.state.bundle, 'rootfs', 'bin', 'sh')) ? 'yes' : 'no'),
        ];
      },
    },
    {
      id: 'create',
      title: t('create: the container is made, its program not yet run', 'create：容器建好了，程序还没运行'),
      explain: t(
        '`create` makes the cgroup, the namespaces and the first process, mounts the root and calls `pivot_root`, then returns, leaving that process waiting at a door (a named pipe in the state directory) before it runs the program. No runtime process stays behind; `state` reads the kernel: the PID lives, so the container is `created`.',
        '`create` 建好控制组、命名空间和第一个进程，挂载根目录并调用 `pivot_root`，然后就返回了，让那个进程在运行程序之前停在一道门（状态目录里的一个命名管道）前等着。运行时没有留下任何进程；`state` 读取内核：这个 PID 还活着，所以容器是 `created`。',
      ),
      command: 'nestbox oci --root STATE create --bundle bundle ID; nestbox oci --root STATE state ID',
      syscall: 'clone(CLONE_NEWPID|CLONE_NEWNS|...); mount(...); pivot_root(".", "."); mkfifo("go")',
      async perform(ctx) {
        const r = await oci(ctx, ['create', '--bundle', ctx.state.bundle, ctx.state.id]);
        if (r.code !== 0) throw new Error(pick(`nestbox oci create failed: ${r.stderr.trim()}`, `nestbox oci create 失败：${r.stderr.trim()}`));
        const s = await stateOf(ctx, true);
        if (!s) throw new Error(pick('the runtime does not know the container it just made', '运行时不认识它刚建好的容器'));
        ctx.state.pid = s.pid;
        ctx.state.pidStart = startTime(s.pid);
        // Before anything else: from here on, the lab's cleanup ends the container.
        ctx.ledger.record({ kind: 'process', pid: s.pid, starttime: ctx.state.pidStart ?? 0, note: `first process of OCI container ${ctx.state.id}` });
        ctx.state.cgroupDirs = JSON.parse(readFileSync(join(ctx.state.root, ctx.state.id, 'state.json'), 'utf8')).cgroupDirs ?? [];
        return t(`container ${ctx.state.id} created; its first process is PID ${s.pid}, held`, `容器 ${ctx.state.id} 已创建；它的第一个进程是 PID ${s.pid}，被扣住了`);
      },
      async verify(ctx) {
        const pid = ctx.state.pid;
        const s = await stateOf(ctx);
        const inCgroup = ctx.state.cgroupDirs.filter((d) => readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid)));
        return [
          observe(t('`state`: its status', '`state`：它的状态'), 'created', s?.status),
          observe(t(`NSpid in /proc/${pid}/status: on the host, inside`, `/proc/${pid}/status 里的 NSpid：宿主机上的、容器里的`), `${pid} 1`, processStatus(pid).nspid.join(' ')),
          observeThat(t(`its command (/proc/${pid}/cmdline)`, `它的命令（/proc/${pid}/cmdline）`), t('the shell at the door, not yet the program', '停在门前的 shell，还不是那个程序'), commandLine(pid).slice(0, 40), /^sh -c read -r go/.test(commandLine(pid))),
          observe(t('the program has not run: /started in the root', '程序还没运行：根目录里的 /started'), 'absent', existsSync(join(ctx.state.bundle, 'rootfs', 'started')) ? 'present' : 'absent'),
          observeThat(t(`its PID namespace (/proc/${pid}/ns/pid)`, `它的 PID 命名空间（/proc/${pid}/ns/pid）`), t('≠ the host\'s', '≠ 宿主机的'), `pid:[${namespaceId(pid, 'pid')}]`, namespaceId(pid, 'pid') !== namespaceId('self', 'pid')),
          observe(t('in its cgroup (cgroup.procs of each tree)', '在它的控制组里（每棵树的 cgroup.procs）'), String(ctx.state.cgroupDirs.length), String(inCgroup.length)),
        ];
      },
      async cleanup(ctx) {
        if (!ctx.state.id || !ctx.state.root || !existsSync(join(ctx.state.root, ctx.state.id))) return;
        await oci(ctx, ['delete', '--force', ctx.state.id]);
      },
    },
    {
      id: 'start',
      title: t('start: let the program run', 'start：让程序运行起来'),
      explain: t(
        '`start` opens the door: it writes to the named pipe, the waiting shell reads it and `exec`s the program of config.json, which becomes PID 1 of the container, in the cgroup and namespaces `create` made. This is the moment podman\'s `podman start` and Docker\'s containerd shim reach the runtime.',
        '`start` 打开那道门：它往命名管道里写一个词，等着的 shell 读到后就 `exec` config.json 里的程序，这个程序成为容器的 1 号进程，待在 `create` 建好的控制组和命名空间里。podman 的 `podman start`、Docker 的 containerd shim 就是在这一刻调用运行时的。',
      ),
      command: 'nestbox oci --root STATE start ID',
      syscall: 'write(open("STATE/ID/go"), "go"); execve("/bin/sh", ...)',
      exercise: {
        task: t(
          'Start the container yourself, as an engine would: `sudo nestbox oci --root STATE start ID` (the lab printed STATE and ID above). Then `state` says `running`.',
          '像引擎那样，自己启动这个容器：`sudo nestbox oci --root STATE start ID`（STATE 和 ID 实验在上面打印过了）。之后 `state` 会显示 `running`。',
        ),
        hints: [
          t('The state directory is the --root the lab used (in its work directory), and ID is nb-lab-… as printed by `create`.', '状态目录就是实验用的 --root（在它的工作目录里），ID 是 `create` 打印出来的 nb-lab-…。'),
          t('`kill` is not `start`: a signal to a created container ends it before its program ever runs.', '`kill` 不是 `start`：给一个 created 状态的容器发信号，会在它的程序运行之前就把它结束掉。'),
        ],
        shell: 'host',
        async solve(ctx) {
          await oci(ctx, ['start', ctx.state.id]);
        },
        async mistake(ctx) {
          await oci(ctx, ['kill', ctx.state.id, 'KILL']);
        },
      },
      async verify(ctx) {
        const pid = ctx.state.pid;
        // The program writes its mark and execs sleep a moment after the door opens.
        for (let i = 0; i < 100 && isAlive(pid) && !/^sleep/.test(commandLine(pid)); i++) await sleep(20);
        const s = await stateOf(ctx);
        const alive = isAlive(pid);
        return [
          observe(t('`state`: its status', '`state`：它的状态'), 'running', s?.status ?? 'unknown'),
          observe(t(`its command (/proc/${pid}/cmdline): the program, exec'd by the shell`, `它的命令（/proc/${pid}/cmdline）：shell exec 出来的那个程序`), 'sleep 600', alive ? commandLine(pid) : t('(gone)', '（已结束）')),
          observe(t('the program ran: /started in the root', '程序运行过了：根目录里的 /started'), 'present', existsSync(join(ctx.state.bundle, 'rootfs', 'started')) ? 'present' : 'absent'),
          observe(t('its hostname (read through setns)', '它的主机名（通过 setns 读取）'), HOSTNAME, alive ? await hostnameOf(ctx, pid) : t('(gone)', '（已结束）')),
        ];
      },
    },
    {
      id: 'delete',
      title: t('delete: nothing of it stays', 'delete：它的一切都不留下'),
      explain: t(
        '`delete` releases what `create` made. A running container is refused unless `--force`, which kills it first (the spec\'s rule); then the cgroup and the state directory go, and `state` knows the container no more.',
        '`delete` 释放 `create` 建好的一切。正在运行的容器会被拒绝，除非加 `--force`，它会先把容器杀掉（这是规范的规定）；然后控制组和状态目录都被删掉，`state` 再也不认识这个容器。',
      ),
      command: 'nestbox oci --root STATE delete --force ID',
      syscall: 'kill(PID, SIGKILL); rmdir("/sys/fs/cgroup/.../oci-ID")',
      async perform(ctx) {
        const r = await oci(ctx, ['delete', '--force', ctx.state.id]);
        if (r.code !== 0) throw new Error(pick(`nestbox oci delete failed: ${r.stderr.trim()}`, `nestbox oci delete 失败：${r.stderr.trim()}`));
        return t(`container ${ctx.state.id} deleted`, `容器 ${ctx.state.id} 已删除`);
      },
      async verify(ctx) {
        const pid = ctx.state.pid;
        const gone = !isAlive(pid) || startTime(pid) !== ctx.state.pidStart;
        return [
          observe(t(`its first process, PID ${pid}`, `它的第一个进程，PID ${pid}`), 'gone', gone ? 'gone' : 'alive'),
          observe(t('its cgroup directories', '它的控制组目录'), '0', String(ctx.state.cgroupDirs.filter((d) => existsSync(d)).length)),
          observe(t('`state` knows it', '`state` 还认识它'), 'no', (await stateOf(ctx, true)) ? 'yes' : 'no'),
        ];
      },
    },
  ],
};

export default lab;
