'use strict';
/**
 * Child processes of the bench: spawn pinned to a core (taskset, when present), wait for the
 * IPC 'ready' message, ask/answer over IPC, read peak RSS (VmHWM) from /proc, stop (bounded).
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');

let tasksetPath;
try {
  tasksetPath = execFileSync('which', ['taskset'], { encoding: 'utf8' }).trim() || undefined;
} catch {
  tasksetPath = undefined;
}
const CORES = os.cpus().length;
/** Pinning needs taskset and at least two cores (server on one, load generator on another). */
const PINNING = Boolean(tasksetPath) && CORES >= 2;
const SERVER_CPU = '0';
const LOAD_CPU = String(Math.min(1, CORES - 1));

/** The node binary servers run on (the machine's Node unless --node=N chose another). */
let nodeBinary = process.execPath;
function setNodeBinary(bin) {
  nodeBinary = bin;
}

/** Pins this process (all its threads) to the load-generator core. */
function pinSelfToLoadCore() {
  if (!PINNING) return false;
  try {
    execFileSync(tasksetPath, ['-a', '-cp', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `node <script>` with IPC. Resolves with { child, pid, ready, ask, stop, exited }.
 * @param {string} script
 * @param {{ env?: object, cpu?: string, nodeArgs?: string[], timeoutMs?: number, label?: string }} o
 */
function startNode(script, o = {}) {
  const nodeArgs = [...(o.nodeArgs || []), script];
  const [cmd, args] = PINNING && o.cpu !== undefined ? [tasksetPath, ['-c', o.cpu, nodeBinary, ...nodeArgs]] : [nodeBinary, nodeArgs];
  const child = spawn(cmd, args, {
    env: { ...process.env, ...(o.env || {}) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const keep = (d) => {
    output = (output + d.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const label = o.label || script;

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label}: not ready after ${o.timeoutMs || 20000} ms\n${output}`));
    }, o.timeoutMs || 20000);
    const onExit = ({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${label}: exited before ready (code ${code}, signal ${signal})\n${output.trim()}`));
    };
    exited.then(onExit);
    child.on('message', function onReady(msg) {
      if (!msg || msg.type !== 'ready') return;
      child.off('message', onReady);
      clearTimeout(timer);
      // (a later exit calls reject on the settled promise: ignored)
      const handle = {
        child,
        pid: child.pid,
        ready: msg,
        output: () => output,
        exited,
        /** Sends msg and resolves with the first reply of `type` (bounded wait). */
        ask(message, type, timeoutMs = 5000) {
          return new Promise((res, rej) => {
            const t = setTimeout(() => {
              child.off('message', on);
              rej(new Error(`${label}: no '${type}' reply`));
            }, timeoutMs);
            function on(reply) {
              if (reply && reply.type === type) {
                clearTimeout(t);
                child.off('message', on);
                res(reply);
              }
            }
            child.on('message', on);
            child.send(message);
          });
        },
        /** Asks the child to stop; SIGKILL after timeoutMs. */
        async stop(timeoutMs = 5000) {
          if (child.exitCode !== null || child.signalCode !== null) return;
          try {
            child.send({ cmd: 'stop' });
          } catch {
            /* channel already closed */
          }
          const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
          await exited;
          clearTimeout(t);
        },
      };
      resolve(handle);
    });
  });
}

/** Peak resident set size (VmHWM) of a live process, in bytes; undefined if unreadable. */
function peakRss(pid) {
  try {
    const m = /VmHWM:\s+(\d+)\s*kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Current RSS (VmRSS) of a live process, in bytes. */
function currentRss(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s*kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU interference: jiffies used by the whole machine vs by the given processes. The difference
 * over a measurement is CPU taken by something else (other jobs, steal), in cores.
 */
function cpuSample(pids) {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = line;
    let ours = 0;
    for (const pid of pids) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ours += Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
      } catch {
        /* process gone */
      }
    }
    return { t: process.hrtime.bigint(), busy: user + nice + system + irq + softirq + (steal || 0), ours };
  } catch {
    return undefined;
  }
}

/** Cores' worth of CPU used by other processes between two samples (CLK_TCK = 100). */
function foreignCores(a, b) {
  if (!a || !b) return undefined;
  const seconds = Number(b.t - a.t) / 1e9;
  return Math.max(0, (b.busy - a.busy - (b.ours - a.ours)) / 100 / seconds);
}

function machine() {
  let model = os.cpus()[0]?.model || 'unknown';
  try {
    const m = /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1].trim();
  } catch {
    /* not Linux */
  }
  return {
    cores: CORES,
    cpuModel: model,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: nodeBinary === process.execPath ? process.version : execFileSync(nodeBinary, ['-v'], { encoding: 'utf8' }).trim(),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    pinning: PINNING
      ? `server on CPU ${SERVER_CPU}, load generator + sink on CPU ${LOAD_CPU} (taskset)`
      : `none (${tasksetPath ? 'fewer than 2 cores' : 'taskset not found'})`,
  };
}

module.exports = {
  startNode,
  setNodeBinary,
  peakRss,
  currentRss,
  machine,
  cpuSample,
  foreignCores,
  pinSelfToLoadCore,
  PINNING,
  SERVER_CPU,
  LOAD_CPU,
  CORES,
};
