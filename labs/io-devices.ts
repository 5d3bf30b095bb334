// Lab "io-devices": two controllers about devices. io (blkio on v1) throttles and counts block I/O
// per disk, named by major:minor; devices decides which device files a cgroup may open at all. On
// v1 that is two files (devices.deny, devices.allow); on v2 it is an eBPF program, which nestbox
// assembles and attaches (src/kernel/bpf.ts) through the same Cgroup call.
import type { Lab, LabContext, Observation, Shown } from '../src/lab/types.js';
import { observe, observeThat, t } from '../src/lab/types.js';
import { pick } from '../src/i18n/lang.js';
import type { Cgroup } from '../src/kernel/cgroup.js';
import { detectCgroupLayout } from '../src/kernel/cgroup-layout.js';
import { UserError } from '../src/errors.js';
import { parseDeviceRule } from '../src/kernel/bpf.js';
import { closeSync, openSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { createCgroup, runInCgroup, sayWrites, whereText } from './cgroup-lab-kit.js';
import { byCodePoint } from '../src/order.js';

const LIMIT = 1048576; // 1 MiB/s

interface Disk { name: string; majMin: string }

interface IoDevicesState {
  /** The disk the lab throttles, and the cgroup with the io (v1: blkio) controller. */
  disk: Disk;
  io: Cgroup;
  /** The cgroup allowed c 1:5 (/dev/zero) and no other device. */
  dev: Cgroup;
  /** The last line a shell in `dev` printed opening /dev/null and /dev/zero ("opened", or its error). */
  probe: string;
  probeZero: string;
  /** The disk's name and MAJ:MIN, and the read limit's file on this host, for the exercise's text. */
  diskName: string;
  majMin: string;
  limitFile: string;
  /** The limit file's name on the other cgroup version (English, Chinese). */
  limitOther: string;
  limitOtherZh: string;
  /** The shell command that sets the 1 MiB/s read limit on this host. */
  answerCommand: string;
}

/** A real disk from /sys/block (loop, zram and device-mapper devices live under devices/virtual). */
function findDisk(): Disk {
  // Disks first (sd, vd, nvme...), then anything else such as an optical drive (sr0).
  const diskLike = (n: string) => (/^(nvme|sd|vd|xvd|hd|mmcblk)/.test(n) ? 0 : 1);
  const names = readdirSync('/sys/block').sort((x, y) => diskLike(x) - diskLike(y) || byCodePoint(x, y));
  const real = names.filter((n) => !realpathSync(join('/sys/block', n)).includes('/virtual/'));
  const sized = (n: string) => Number(readFileSync(join('/sys/block', n, 'size'), 'utf8')) > 0;
  const name = real.find(sized) ?? names.find(sized);
  if (!name) throw new UserError(pick('no block device with a size was found in /sys/block', '在 /sys/block 里没有找到大小不为零的块设备'));
  return { name, majMin: readFileSync(join('/sys/block', name, 'dev'), 'utf8').trim() };
}

/** The same device's line in /proc/partitions ("major minor #blocks name") as "MAJ:MIN". */
function partitionsEntry(name: string): Shown {
  const line = readFileSync('/proc/partitions', 'utf8').split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[3] === name);
  return line ? `${line[0]}:${line[1]}` : t('(not listed)', '（没有列出）');
}

/** blkio on v1 and hybrid hosts, io on pure v2. */
function ioController(): 'io' | 'blkio' {
  const layout = detectCgroupLayout();
  if (layout.usable.blkio) return 'blkio';
  if (layout.usable.io) return 'io';
  throw new UserError(pick(`this host offers neither the io nor the blkio cgroup controller (cgroup mode ${layout.mode})`,
    `这台宿主机既没有 io 控制器，也没有 blkio 控制器（cgroup 模式：${layout.mode}）`));
}

/** The I/O files the kernel put in the cgroup's directory. */
function ioFiles(cg: Cgroup): string[] {
  return readdirSync(cg.dir()).filter((f) => /^(io|blkio)\./.test(f)).sort();
}

const limitFile = (cg: Cgroup) => cg.file('ioReadBps');

/** Can nestbox itself (on the host, in no lab cgroup) open /dev/null? */
function hostOpensDevNull(): string {
  try {
    closeSync(openSync('/dev/null', 'w'));
    return 'opened';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

/** "opened" in both languages; anything else (an errno name, the shell's error) as it was printed. */
function opened(result: string): Shown {
  return result === 'opened' ? t('opened', '打开了') : result;
}

/** A shell in the cgroup tries to open a device for writing; its own words say how it went. */
async function probeDevice(ctx: LabContext<IoDevicesState>, cg: Cgroup, device: string): Promise<string> {
  const { out } = await runInCgroup(ctx, cg, `if : > ${device}; then echo opened; fi`, `probe-${device.slice(5)}`);
  return out.split('\n').pop() ?? '';
}

const lab: Lab<IoDevicesState> = {
  id: 'io-devices',
  title: t('io and devices: throttle a disk, refuse a device', 'io 与 devices：给磁盘限速，把设备拒之门外'),
  module: 11,
  lesson: 'cgroups',
  needs: ['root'],
  steps: [
    {
      id: 'disk',
      title: t('Name a disk the way cgroups do: major:minor', '像控制组那样指定磁盘：major:minor'),
      explain: t(
        'The io controller (called blkio on v1) throttles and counts reads and writes per block device, and it names devices by their numbers, `major:minor`, as the kernel does, not by `/dev` path. ' +
        '`/sys/block/NAME/dev` and `/proc/partitions` give them. Its files: `io.max` on v2 holds `rbps`, `wbps`, `riops`, `wiops` on one line per device; v1 spreads the same four over ' +
        '`blkio.throttle.read_bps_device`, `write_bps_device`, `read_iops_device` and `write_iops_device`. Usage is in `io.stat` (v1: `blkio.throttle.io_service_bytes`).',
        'io 控制器（v1 上叫 blkio）按块设备给读写限速，并统计读写量。它和内核一样，用编号 `major:minor`（主设备号:次设备号）来指定设备，而不是 `/dev` 下的路径。' +
        '这两个编号可以在 `/sys/block/NAME/dev` 和 `/proc/partitions` 里查到。它的文件：v2 上是 `io.max`，每个设备一行，写着 `rbps`、`wbps`、`riops`、`wiops`；v1 把这四项分在 ' +
        '`blkio.throttle.read_bps_device`、`write_bps_device`、`read_iops_device` 和 `write_iops_device` 四个文件里。用量在 `io.stat` 里（v1：`blkio.throttle.io_service_bytes`）。',
      ),
      command: 'cat /sys/block/*/dev; cat /proc/partitions; ls /sys/fs/cgroup/nestbox/io-demo/ | grep ^io   # v1: ls /sys/fs/cgroup/blkio/nestbox/io-demo/',
      syscall: t('read(2) of /sys/block/NAME/dev and /proc/partitions; mkdir(2) in cgroupfs',
        'read(2) 读 /sys/block/NAME/dev 和 /proc/partitions；在 cgroupfs 里 mkdir(2)'),
      async perform(ctx) {
        ctx.state.disk = findDisk();
        const cg = createCgroup(ctx, [ioController()]);
        ctx.state.io = cg;
        const place = whereText(cg);
        ctx.say(t(`the cgroup: ${place.en}`, `控制组：${place.zh}`));
        ctx.say(t(`its I/O files: ${ioFiles(cg).join(' ')}`, `它的 I/O 文件：${ioFiles(cg).join(' ')}`));
        return t(`disk ${ctx.state.disk.name} is ${ctx.state.disk.majMin}`, `磁盘 ${ctx.state.disk.name} 的编号是 ${ctx.state.disk.majMin}`);
      },
      async verify(ctx) {
        const disk: Disk = ctx.state.disk;
        const cg: Cgroup = ctx.state.io;
        return [
          observe(`/sys/block/${disk.name}/dev`, disk.majMin, readFileSync(`/sys/block/${disk.name}/dev`, 'utf8').trim()),
          observe(t(`${disk.name} in /proc/partitions`, `/proc/partitions 里的 ${disk.name}`), disk.majMin, partitionsEntry(disk.name)),
          observeThat(t('the read limit file in the cgroup', '控制组里的读限速文件'), limitFile(cg),
            ioFiles(cg).filter((f) => f === limitFile(cg)).join(' ') || t('(absent)', '（没有）'), ioFiles(cg).includes(limitFile(cg))),
        ];
      },
    },
    {
      id: 'devices',
      title: t('Allow a cgroup one device, refuse it the rest', '只允许控制组打开一个设备，其余一律拒绝'),
      explain: t(
        'Containers must not open whatever device node they find, such as the host\'s disks. Runtimes keep an allowlist: `a` (all) is denied, then each device the container needs is allowed, as `type major:minor access` (c or b; r read, w write, m mknod). ' +
        'On v1 the devices controller holds that list in files: `echo a > devices.deny; echo "c 1:5 rwm" > devices.allow` leaves the cgroup /dev/zero (1:5) and nothing else. ' +
        'cgroup v2 has no such files: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE, attached to the cgroup as BPF_CGROUP_DEVICE, is asked at every open() and mknod() of a device node, with the type, the numbers and the access, and answers allow or deny. runc, crun and systemd (`DeviceAllow=`) build one from their rules; nestbox builds its own (src/kernel/bpf.ts: a few compare-and-jump instructions per rule, checked by the kernel\'s verifier on load). ' +
        'Either way, a shell in the cgroup then gets EPERM opening /dev/null, while the host carries on.',
        '容器不能见到什么设备节点就打开什么，比如宿主机的磁盘。运行时维护一份允许列表（allowlist）：先拒绝 `a`（全部设备），再逐个允许容器需要的设备，写法是 `类型 major:minor 权限`（类型是 c 或 b；r 读，w 写，m 表示 mknod）。' +
        '在 v1 上，devices 控制器把这份列表放在文件里：执行 `echo a > devices.deny; echo "c 1:5 rwm" > devices.allow` 之后，这个控制组只剩 /dev/zero（1:5）能用。' +
        'cgroup v2 没有这些文件：以 BPF_CGROUP_DEVICE 方式挂在控制组上的一个 BPF_PROG_TYPE_CGROUP_DEVICE 类型的 eBPF 程序，在每次对设备节点 open() 和 mknod() 时都会被询问，它拿到设备类型、编号和访问方式，回答允许还是拒绝。runc、crun 和 systemd（`DeviceAllow=`）都按自己的规则生成这样一个程序；nestbox 也自己生成一个（见 src/kernel/bpf.ts：每条规则几条“比较并跳转”指令，加载时要经过内核校验器的检查）。' +
        '不管是哪个版本，控制组里的 shell 打开 /dev/null 都会得到 EPERM，而宿主机一切照常。',
      ),
      command: 'echo a > /sys/fs/cgroup/devices/nestbox/dev-demo/devices.deny; echo "c 1:5 rwm" > /sys/fs/cgroup/devices/nestbox/dev-demo/devices.allow; sh -c \'echo $$ > /sys/fs/cgroup/devices/nestbox/dev-demo/cgroup.procs; : > /dev/null\'   # v2: bpf(BPF_PROG_LOAD) + bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE)',
      syscall: t('v1: write(2) "a" to devices.deny and "c 1:5 rwm" to devices.allow; v2: bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE) and bpf(BPF_PROG_ATTACH) on the cgroup directory; then open("/dev/null") → EPERM',
        'v1：write(2) 把 "a" 写进 devices.deny，把 "c 1:5 rwm" 写进 devices.allow；v2：bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE)，再对控制组目录 bpf(BPF_PROG_ATTACH)；然后 open("/dev/null") → EPERM'),
      async perform(ctx) {
        const cg = createCgroup(ctx, ['devices'], '-dev');
        ctx.state.dev = cg;
        cg.allowOnlyDevices([parseDeviceRule('c 1:5 rwm')]);
        sayWrites(ctx, cg);
        const place = whereText(cg);
        ctx.say(t(`the cgroup: ${place.en}`, `控制组：${place.zh}`));
        ctx.state.probe = await probeDevice(ctx, cg, '/dev/null');
        ctx.state.probeZero = await probeDevice(ctx, cg, '/dev/zero');
        return t(`${cg.name} may open c 1:5 (/dev/zero) and no other device`, `${cg.name} 只能打开 c 1:5（/dev/zero），别的设备一概不行`);
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.dev;
        const out: Observation[] = [];
        // v1 lists the rules in a file; v2 has none to read (the rules live in the BPF program).
        if (cg.version === 1) out.push(observe(`${join(cg.dir('devices'), 'devices.list')}`, 'c 1:5 rwm', readFileSync(join(cg.dir('devices'), 'devices.list'), 'utf8').trim()));
        out.push(
          observeThat(t('shell in the cgroup: open /dev/null (1:3)', '控制组里的 shell：打开 /dev/null（1:3）'), 'Operation not permitted (EPERM)', ctx.state.probe, /Operation not permitted/.test(ctx.state.probe)),
          observe(t('shell in the cgroup: open /dev/zero (1:5)', '控制组里的 shell：打开 /dev/zero（1:5）'), t('opened', '打开了'), opened(ctx.state.probeZero)),
          observe(t('nestbox on the host: open /dev/null', '宿主机上的 nestbox：打开 /dev/null'), t('opened', '打开了'), opened(hostOpensDevNull())),
        );
        return out;
      },
    },
    {
      id: 'exercise',
      title: t('Throttle reads from the disk', '给磁盘的读取限速'),
      explain: t(
        'A limit names the device and the rate. The kernel checks the device exists and is a whole disk, and refuses anything else with an error: the file keeps its old contents.',
        '一条限速规则写明设备和速率。内核会检查这个设备确实存在、而且是整块磁盘，别的写法一律报错拒绝：文件保持原来的内容。',
      ),
      command: '{answerCommand}',
      syscall: t('write(2) to io.max (v1: blkio.throttle.read_bps_device)',
        'write(2) 写 io.max（v1 是 blkio.throttle.read_bps_device）'),
      async perform(ctx) {
        const cg: Cgroup = ctx.state.io;
        const disk: Disk = ctx.state.disk;
        // The disk and the file as they are named on this host, for the task and the hints.
        Object.assign(ctx.state, { diskName: disk.name, majMin: disk.majMin, limitFile: join(cg.dir(), limitFile(cg)) });
        ctx.state.limitOther = `cgroup v${cg.version}; on v${3 - cg.version}: ${cg.otherFile('ioReadBps')}`;
        ctx.state.limitOtherZh = `cgroup v${cg.version}；在 v${3 - cg.version} 上是 ${cg.otherFile('ioReadBps')}`;
        ctx.state.answerCommand = `echo "${cg.ioReadBpsLine(disk.majMin, LIMIT)}" > ${ctx.state.limitFile}`;
      },
      exercise: {
        task: t(
          "Limit reads from the disk {diskName} to **1 MiB/s** (1048576 bytes per second) for the lab's io cgroup. On this host the file is `{limitFile}` ({limitOther}).",
          '给实验的 io 控制组设一个限制：从磁盘 {diskName} 读取，每秒不超过 **1 MiB**（1048576 字节）。在这台宿主机上，要写的文件是 `{limitFile}`（{limitOtherZh}）。',
        ),
        hints: [
          t('Devices are named by `major:minor`, not by `/dev/{diskName}`: `cat /sys/block/{diskName}/dev` prints {majMin}.',
            '设备要用 `major:minor` 来指定，而不是 `/dev/{diskName}`：`cat /sys/block/{diskName}/dev` 打印出的是 {majMin}。'),
          t('A line names the device, then the rate: `{answerCommand}`.', '一行里先写设备，再写速率：`{answerCommand}`。'),
        ],
        shell: 'host',
        async solve(ctx) {
          ctx.state.io.setIoReadBps(ctx.state.disk.majMin, LIMIT);
          sayWrites(ctx, ctx.state.io);
        },
        async mistake(ctx) {
          // Naming the disk by its path: the kernel parses "MAJ:MIN" only and answers EINVAL.
          try {
            ctx.state.io.setIoReadBps(`/dev/${ctx.state.disk.name}`, LIMIT);
          } catch (err) {
            const [dev, file, why] = [`/dev/${ctx.state.disk.name}`, limitFile(ctx.state.io), (err as Error).message];
            ctx.say(t(`writing "${dev} ..." to ${file}: ${why} (the kernel reads the device as MAJ:MIN only)`,
              `把 "${dev} ..." 写入 ${file}：${why}（内核只认 MAJ:MIN 形式的设备）`));
          }
        },
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.io;
        const disk: Disk = ctx.state.disk;
        const text = readFileSync(join(cg.dir(), limitFile(cg)), 'utf8').trim();
        return [
          observe(t(`read limit for ${disk.majMin} (${limitFile(cg)})`, `${disk.majMin} 的读限速（${limitFile(cg)}）`),
            LIMIT, cg.ioReadBps(disk.majMin) ?? t('none', '没有')),
          observeThat(t(`${limitFile(cg)}, read back whole`, `整个读回 ${limitFile(cg)}`),
            t(`a line for ${disk.majMin}`, `有一行是 ${disk.majMin} 的`), text || t('(empty)', '（空）'), text.split('\n').some((l) => l.startsWith(disk.majMin + ' '))),
        ];
      },
    },
  ],
};

export default lab;
