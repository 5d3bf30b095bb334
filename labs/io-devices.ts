// Lab "io-devices": two controllers about devices. io (blkio on v1) throttles and counts block I/O
// per disk, named by major:minor; devices decides which device files a cgroup may open at all. On
// v1 that is two files (devices.deny, devices.allow); on v2 it is an eBPF program, which nestbox
// assembles and attaches (src/kernel/bpf.ts) through the same Cgroup call.
import type { Lab, LabContext, Observation } from '../src/lab/types.js';
import { observe, observeThat } from '../src/lab/types.js';
import type { Cgroup } from '../src/kernel/cgroup.js';
import { detectCgroupLayout } from '../src/kernel/cgroup-layout.js';
import { UserError } from '../src/kernel/errors.js';
import { parseDeviceRule } from '../src/kernel/bpf.js';
import { closeSync, openSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { createCgroup, runInCgroup, sayWrites, where } from './cgroup-lab-kit.js';

const LIMIT = 1048576; // 1 MiB/s

interface Disk { name: string; majMin: string }

/** A real disk from /sys/block (loop, zram and device-mapper devices live under devices/virtual). */
function findDisk(): Disk {
  // Disks first (sd, vd, nvme...), then anything else such as an optical drive (sr0).
  const diskLike = (n: string) => (/^(nvme|sd|vd|xvd|hd|mmcblk)/.test(n) ? 0 : 1);
  const names = readdirSync('/sys/block').sort((x, y) => diskLike(x) - diskLike(y) || x.localeCompare(y));
  const real = names.filter((n) => !realpathSync(join('/sys/block', n)).includes('/virtual/'));
  const sized = (n: string) => Number(readFileSync(join('/sys/block', n, 'size'), 'utf8')) > 0;
  const name = real.find(sized) ?? names.find(sized);
  if (!name) throw new UserError('no block device with a size was found in /sys/block');
  return { name, majMin: readFileSync(join('/sys/block', name, 'dev'), 'utf8').trim() };
}

/** The same device's line in /proc/partitions ("major minor #blocks name") as "MAJ:MIN". */
function partitionsEntry(name: string): string {
  const line = readFileSync('/proc/partitions', 'utf8').split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[3] === name);
  return line ? `${line[0]}:${line[1]}` : '(not listed)';
}

/** blkio on v1 and hybrid hosts, io on pure v2. */
function ioController(): 'io' | 'blkio' {
  const layout = detectCgroupLayout();
  if (layout.usable.blkio) return 'blkio';
  if (layout.usable.io) return 'io';
  throw new UserError(`this host offers neither the io nor the blkio cgroup controller (cgroup mode ${layout.mode})`);
}

/** The I/O files the kernel put in the cgroup's directory. */
function ioFiles(cg: Cgroup): string[] {
  return readdirSync(cg.dir()).filter((f) => /^(io|blkio)\./.test(f)).sort();
}

function limitFile(cg: Cgroup): string {
  return cg.version === 2 ? 'io.max' : 'blkio.throttle.read_bps_device';
}

/** Can nestbox itself (on the host, in no lab cgroup) open /dev/null? */
function hostOpensDevNull(): string {
  try {
    closeSync(openSync('/dev/null', 'w'));
    return 'opened';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

/** A shell in the cgroup tries to open a device for writing; its own words say how it went. */
async function probeDevice(ctx: LabContext, cg: Cgroup, device: string): Promise<string> {
  const { out } = await runInCgroup(ctx, cg, `if : > ${device}; then echo opened; fi`, `probe-${device.slice(5)}`);
  return out.split('\n').pop() ?? '';
}

const lab: Lab = {
  id: 'io-devices',
  title: 'io and devices: throttle a disk, refuse a device',
  module: 11,
  lesson: 'cgroups',
  needs: ['root'],
  steps: [
    {
      id: 'disk',
      title: "Name a disk the way cgroups do: major:minor",
      explain:
        'The io controller (called blkio on v1) throttles and counts reads and writes per block device, and it names devices by their numbers, `major:minor`, as the kernel does, not by `/dev` path. ' +
        '`/sys/block/NAME/dev` and `/proc/partitions` give them. Its files: `io.max` on v2 holds `rbps`, `wbps`, `riops`, `wiops` on one line per device; v1 spreads the same four over ' +
        '`blkio.throttle.read_bps_device`, `write_bps_device`, `read_iops_device` and `write_iops_device`. Usage is in `io.stat` (v1: `blkio.throttle.io_service_bytes`).',
      command: 'cat /sys/block/*/dev; cat /proc/partitions; ls /sys/fs/cgroup/nestbox/io-demo/ | grep ^io   # v1: ls /sys/fs/cgroup/blkio/nestbox/io-demo/',
      syscall: 'read(2) of /sys/block/NAME/dev and /proc/partitions; mkdir(2) in cgroupfs',
      async perform(ctx) {
        ctx.state.disk = findDisk();
        const cg = createCgroup(ctx, [ioController()]);
        ctx.state.io = cg;
        ctx.say(`the cgroup: ${where(cg)}`);
        ctx.say(`its I/O files: ${ioFiles(cg).join(' ')}`);
        return `disk ${ctx.state.disk.name} is ${ctx.state.disk.majMin}`;
      },
      async verify(ctx) {
        const disk: Disk = ctx.state.disk;
        const cg: Cgroup = ctx.state.io;
        return [
          observe(`/sys/block/${disk.name}/dev`, disk.majMin, readFileSync(`/sys/block/${disk.name}/dev`, 'utf8').trim()),
          observe(`${disk.name} in /proc/partitions`, disk.majMin, partitionsEntry(disk.name)),
          observeThat('the read limit file in the cgroup', limitFile(cg), ioFiles(cg).filter((f) => f === limitFile(cg)).join(' ') || '(absent)', ioFiles(cg).includes(limitFile(cg))),
        ];
      },
    },
    {
      id: 'devices',
      title: 'Allow a cgroup one device, refuse it the rest',
      explain:
        'Containers must not open whatever device node they find, such as the host\'s disks. Runtimes keep an allowlist: `a` (all) is denied, then each device the container needs is allowed, as `type major:minor access` (c or b; r read, w write, m mknod). ' +
        'On v1 the devices controller holds that list in files: `echo a > devices.deny; echo "c 1:5 rwm" > devices.allow` leaves the cgroup /dev/zero (1:5) and nothing else. ' +
        'cgroup v2 has no such files: an eBPF program of type BPF_CGROUP_DEVICE, attached to the cgroup, is asked at every open() and mknod() of a device node, with the type, the numbers and the access, and answers allow or deny. runc, crun and systemd (`DeviceAllow=`) build one from their rules; nestbox builds its own (src/kernel/bpf.ts: a few compare-and-jump instructions per rule, checked by the kernel\'s verifier on load). ' +
        'Either way, a shell in the cgroup then gets EPERM opening /dev/null, while the host carries on.',
      command: 'echo a > /sys/fs/cgroup/devices/nestbox/dev-demo/devices.deny; echo "c 1:5 rwm" > /sys/fs/cgroup/devices/nestbox/dev-demo/devices.allow; sh -c \'echo $$ > /sys/fs/cgroup/devices/nestbox/dev-demo/cgroup.procs; : > /dev/null\'   # v2: bpf(BPF_PROG_LOAD) + bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE)',
      syscall: 'v1: write(2) "a" to devices.deny and "c 1:5 rwm" to devices.allow; v2: bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE) and bpf(BPF_PROG_ATTACH) on the cgroup directory; then open("/dev/null") → EPERM',
      async perform(ctx) {
        const cg = createCgroup(ctx, ['devices'], '-dev');
        ctx.state.dev = cg;
        cg.allowOnlyDevices([parseDeviceRule('c 1:5 rwm')]);
        sayWrites(ctx, cg);
        ctx.say(`the cgroup: ${where(cg)}`);
        ctx.state.probe = await probeDevice(ctx, cg, '/dev/null');
        ctx.state.probeZero = await probeDevice(ctx, cg, '/dev/zero');
        return `${cg.name} may open c 1:5 (/dev/zero) and no other device`;
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.dev;
        const out: Observation[] = [];
        if (cg.version === 1) out.push(observe(`${join(cg.dir('devices'), 'devices.list')}`, 'c 1:5 rwm', readFileSync(join(cg.dir('devices'), 'devices.list'), 'utf8').trim()));
        out.push(
          observeThat('shell in the cgroup: open /dev/null (1:3)', 'Operation not permitted (EPERM)', ctx.state.probe, /Operation not permitted/.test(ctx.state.probe)),
          observe('shell in the cgroup: open /dev/zero (1:5)', 'opened', ctx.state.probeZero),
          observe('nestbox on the host: open /dev/null', 'opened', hostOpensDevNull()),
        );
        return out;
      },
    },
    {
      id: 'exercise',
      title: 'Throttle reads from the disk',
      explain:
        'A limit names the device and the rate. The kernel checks the device exists and is a whole disk, and refuses anything else with an error: the file keeps its old contents.',
      command: '{answerCommand}',
      syscall: 'write(2) to io.max (v1: blkio.throttle.read_bps_device)',
      async perform(ctx) {
        const cg: Cgroup = ctx.state.io;
        const disk: Disk = ctx.state.disk;
        // The disk and the file as they are named on this host, for the task and the hints.
        Object.assign(ctx.state, { diskName: disk.name, majMin: disk.majMin, limitFile: join(cg.dir(), limitFile(cg)) });
        ctx.state.limitOther = cg.version === 2 ? 'cgroup v2; on v1: blkio.throttle.read_bps_device' : 'cgroup v1; on v2: rbps= in io.max';
        ctx.state.answerCommand = cg.version === 2
          ? `echo "${disk.majMin} rbps=${LIMIT}" > ${ctx.state.limitFile}`
          : `echo "${disk.majMin} ${LIMIT}" > ${ctx.state.limitFile}`;
      },
      exercise: {
        task:
          "Limit reads from the disk {diskName} to **1 MiB/s** (1048576 bytes per second) for the lab's io cgroup. On this host the file is `{limitFile}` ({limitOther}).",
        hints: [
          'Devices are named by `major:minor`, not by `/dev/{diskName}`: `cat /sys/block/{diskName}/dev` prints {majMin}.',
          'A line names the device, then the rate: `{answerCommand}`.',
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
            ctx.say(`writing "/dev/${ctx.state.disk.name} ..." to ${limitFile(ctx.state.io)}: ${(err as Error).message} (the kernel reads the device as MAJ:MIN only)`);
          }
        },
      },
      async verify(ctx) {
        const cg: Cgroup = ctx.state.io;
        const disk: Disk = ctx.state.disk;
        const text = readFileSync(join(cg.dir(), limitFile(cg)), 'utf8').trim();
        return [
          observe(`read limit for ${disk.majMin} (${cg.version === 2 ? 'io.max rbps' : 'read_bps_device'})`, LIMIT, cg.ioReadBps(disk.majMin) ?? 'none'),
          observeThat(`${cg.version === 2 ? 'io.max' : 'read_bps_device'}, read back whole`, `a line for ${disk.majMin}`, text || '(empty)', text.split('\n').some((l) => l.startsWith(disk.majMin + ' '))),
        ];
      },
    },
  ],
};

export default lab;
