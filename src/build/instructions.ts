// The instructions that change only an image's config (and add a history line), for `build` and
// for `commit --change`, which takes the same instructions as Docker's does:
//   ENV, LABEL, EXPOSE, VOLUME, USER, STOPSIGNAL, MAINTAINER, SHELL, CMD, ENTRYPOINT, WORKDIR
// Each is read with the variables in force (`lookup`) and gives the line the history keeps (also
// the build cache's key for the step) and the change to make to a copy of the config.
import { posix } from 'node:path';
import type { UserError } from '../errors.js';
import type { ImageConfigFile } from '../image/config.js';
import type { Instruction } from './dockerfile.js';
import { pairs, word, words, type Lookup } from './words.js';

export const envMap = (env: string[] = []) => new Map(env.map((e) => [e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));

/** A JSON object with its keys in order, as Go writes a map (Docker's configs list them so). */
const sorted = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export interface ConfigChange { createdBy: string; change: (c: ImageConfigFile) => void }

/**
 * The change `inst` makes, or undefined for an instruction that does more (RUN, COPY, ADD, FROM,
 * ARG). `cmdSet`: a CMD came earlier in this Dockerfile (ENTRYPOINT then keeps it).
 */
export function configChange(inst: Instruction, config: ImageConfigFile, lookup: Lookup, escape: string, cmdSet: boolean, where: (msg: string) => UserError): ConfigChange | undefined {
  const ws = () => (inst.json ?? words(inst.args, lookup, escape));
  let createdBy: string;
  let change: (c: ImageConfigFile) => void = () => {};
  switch (inst.keyword) {
    case 'ENV': {
      const kv = pairs(inst.args, lookup, escape);
      createdBy = `ENV ${kv.map(([k, v]) => `${k}=${v}`).join(' ')}`;
      change = (c) => {
        const m = envMap(c.config.Env);
        for (const [k, v] of kv) m.set(k, v ?? '');
        c.config.Env = [...m].map(([k, v]) => `${k}=${v}`);
      };
      break;
    }
    case 'LABEL': {
      const kv = pairs(inst.args, lookup, escape);
      createdBy = `LABEL ${kv.map(([k, v]) => `${k}=${v}`).join(' ')}`;
      change = (c) => { c.config.Labels = sorted({ ...c.config.Labels, ...Object.fromEntries(kv.map(([k, v]) => [k, v ?? ''])) }); };
      break;
    }
    case 'EXPOSE': {
      const ports: string[] = [];
      for (const p of ws()) {
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
        if (!m) throw where(`EXPOSE "${p}": expected PORT[/tcp|udp], for example 80 or 53/udp`);
        const [from, to = from] = [Number(m[1]), Number(m[2] ?? m[1])];
        if (from < 1 || to > 65535 || to < from) throw where(`EXPOSE "${p}": ports go from 1 to 65535`);
        for (let port = from; port <= to; port++) ports.push(`${port}/${(m[3] ?? 'tcp').toLowerCase()}`);
      }
      createdBy = `EXPOSE ${ports.join(' ')}`;
      change = (c) => { c.config.ExposedPorts = sorted({ ...c.config.ExposedPorts, ...Object.fromEntries(ports.map((p) => [p, {}])) }); };
      break;
    }
    case 'VOLUME': {
      const paths = ws().filter(Boolean);
      if (!paths.length) throw where('VOLUME needs a path');
      createdBy = `VOLUME [${paths.join(' ')}]`;
      change = (c) => { c.config.Volumes = sorted({ ...c.config.Volumes, ...Object.fromEntries(paths.map((p) => [p, {}])) }); };
      break;
    }
    case 'USER': {
      const user = word(inst.args, lookup, escape);
      createdBy = `USER ${user}`;
      change = (c) => { c.config.User = user; };
      break;
    }
    case 'STOPSIGNAL': {
      const signal = word(inst.args, lookup, escape);
      createdBy = `STOPSIGNAL ${signal}`;
      change = (c) => { c.config.StopSignal = signal; };
      break;
    }
    case 'MAINTAINER': {
      const author = word(inst.args, lookup, escape);
      createdBy = `MAINTAINER ${author}`;
      change = (c) => { c.author = author; };
      break;
    }
    case 'SHELL': {
      if (!inst.json?.length) throw where('SHELL takes a JSON array, for example SHELL ["/bin/sh", "-c"]');
      createdBy = `SHELL ${JSON.stringify(inst.json)}`;
      change = (c) => { c.config.Shell = inst.json; };
      break;
    }
    case 'CMD':
    case 'ENTRYPOINT': {
      const value = inst.json ?? (inst.args ? [...(config.config.Shell ?? ['/bin/sh', '-c']), inst.args] : []);
      createdBy = `${inst.keyword} ${JSON.stringify(value)}`;
      const clearsCmd = inst.keyword === 'ENTRYPOINT' && !cmdSet;
      change = (c) => {
        if (inst.keyword === 'CMD') c.config.Cmd = value;
        else {
          c.config.Entrypoint = value;
          // Docker: a new ENTRYPOINT drops the base image's CMD (made for the old one).
          if (clearsCmd) c.config.Cmd = null;
        }
      };
      break;
    }
    case 'WORKDIR': {
      const dir = posix.resolve(config.config.WorkingDir || '/', word(inst.args, lookup, escape));
      createdBy = `WORKDIR ${dir}`;
      change = (c) => { c.config.WorkingDir = dir; };
      break;
    }
    default:
      return undefined;
  }
  return { createdBy, change };
}
