// A minimal Intel AMT Serial-over-LAN client over TCP (the redirection protocol as amtterm speaks
// it: StartRedirectionSession "SOL ", user/password authentication, SOL settings, then data), for
// benchmarks that need the console's own speed with no server in the way. Reference:
// docs/protocols/ (../shared/docs/protocols/amt-redirection.md) and shared/redir.
import net from 'node:net';

const le32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
const le16 = (v) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };

// Connects to host:port, logs in as user/pass and starts SOL: { write(text), close() }; the
// console's bytes go to onData(Buffer). Rejects when the device refuses.
export function openSol(host, port, user, pass, onData) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, host);
    sock.setNoDelay(true);
    let acc = Buffer.alloc(0), seq = 1, stage = 'start';
    const send = (...parts) => sock.write(Buffer.concat(parts));
    const api = {
      write: (text) => { const d = Buffer.from(text, 'latin1'); send(Buffer.from([0x28, 0, 0, 0]), le32(seq++), le16(d.length), d); },
      close: () => sock.destroy(),
    };
    sock.on('connect', () => send(Buffer.from([0x10, 0, 0, 0, 0x53, 0x4f, 0x4c, 0x20])));  // StartRedirectionSession "SOL "
    sock.on('error', reject);
    sock.on('data', (d) => {
      acc = acc.length ? Buffer.concat([acc, d]) : d;
      for (;;) {
        if (acc.length < 1) return;
        const t = acc[0];
        let size = 0;
        if (t === 0x11) {  // StartRedirectionSessionReply
          if (acc.length < 13 || acc.length < 13 + acc[12]) return;
          if (acc[1] !== 0) return reject(new Error(`SOL refused (status ${acc[1]})`));
          size = 13 + acc[12];
          const u = Buffer.from(user), p = Buffer.from(pass);  // user/password authentication (type 1)
          send(Buffer.from([0x13, 0, 0, 0, 1]), le32(u.length + p.length + 2), Buffer.from([u.length]), u, Buffer.from([p.length]), p);
        } else if (t === 0x14) {  // AuthenticateSessionReply
          if (acc.length < 9) return;
          const len = acc.readUInt32LE(5);
          if (acc.length < 9 + len) return;
          if (acc[1] !== 0) return reject(new Error(`SOL login refused (status ${acc[1]})`));
          size = 9 + len;
          // SOL settings: MaxTxBuffer 10000, TxTimeout 100, TxOverflowTimeout 0, RxTimeout 10000,
          // RxFlushTimeout 100, Heartbeat 0 (MeshCommander's values).
          send(Buffer.from([0x20, 0, 0, 0]), le32(seq++), le16(10000), le16(100), le16(0), le16(10000), le16(100), le16(0), le32(0));
        } else if (t === 0x21) {  // StartSOLRedirectionReply
          if (acc.length < 23) return;
          size = 23;
          send(Buffer.from([0x27, 0, 0, 0]), le32(seq++), Buffer.from([0, 0, 0x1b, 0, 0, 0]));  // SOL control: RTS, DTR
          if (stage === 'start') { stage = 'open'; resolve(api); }
        } else if (t === 0x29) {  // serial settings
          if (acc.length < 10) return;
          size = 10;
        } else if (t === 0x2a) {  // data from the console
          if (acc.length < 10) return;
          const len = acc.readUInt16LE(8);
          if (acc.length < 10 + len) return;
          onData(acc.subarray(10, 10 + len));
          size = 10 + len;
        } else if (t === 0x2b) {  // heartbeat
          if (acc.length < 8) return;
          size = 8;
        } else {
          return reject(new Error(`SOL: unexpected message 0x${t.toString(16)}`));
        }
        acc = acc.subarray(size);
      }
    });
  });
}
