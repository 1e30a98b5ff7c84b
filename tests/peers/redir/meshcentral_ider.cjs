// Drives MeshCentral's own server-side IDE-R (npm meshcentral: amt/amt-redir-mesh.js, the
// redirection connection with Digest authentication, and amt/amt-ider-module.js, the disk
// emulation its "IDER with server files" uses) against one Intel AMT device on the LAN:
//   node meshcentral_ider.cjs HOST USER PASS CDROM|- FLOPPY|- START SECONDS [nodelay]
// START is MeshCentral's iderStart (0 on next boot, 1 graceful, 2 now). MeshCentral's lookups
// (its database, connectivity table and forge) are stood in for by the smallest objects that
// give it this one device. Prints one JSON line per state change and per sector read, and ends
// after SECONDS (or when the session ends), closing the session. "nodelay" turns Nagle's
// algorithm off on MeshCentral's socket to the device (MeshCentral leaves it on), for the
// benchmark's second baseline.
'use strict';
const path = require('path');
const mc = path.dirname(require.resolve('meshcentral/package.json'));
const redirModule = require(path.join(mc, 'amt', 'amt-redir-mesh.js'));
const iderModule = require(path.join(mc, 'amt', 'amt-ider-module.js'));
const forge = require('node-forge');

const [host, user, pass, cdrom, floppy, start, seconds, nodelay] = process.argv.slice(2);
const nodeid = 'node//amtsim';
const meshid = 'mesh//ider';
const meshcentral = {
  db: { Get: (id, cb) => cb(null, [{ _id: id, meshid, host, intelamt: { user, pass, tls: 0 } }]) },
  GetConnectivityState: () => ({ connectivity: 4 }),  // reachable on the LAN
  mpsserver: { GetConnectionToNode: () => null },     // not by CIRA
  certificateOperations: { forge },
};
const webserver = { common: require(path.join(mc, 'common.js')) };
const person = { name: 'test', links: { [meshid]: { rights: 8 } } };  // remote control

const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const ider = redirModule.CreateAmtRedirect(iderModule.CreateAmtRemoteIder(webserver, meshcentral), {}, person, webserver, meshcentral);
ider.m.iderStart = Number(start);
ider.m.sectorStats = (mode, dev, total, startSector, len) => print({ stats: { mode, dev, total, start: startSector, len } });
const err = ider.m.diskSetup(floppy === '-' ? null : floppy, cdrom === '-' ? null : cdrom);
if (err !== 0) { print({ error: 'diskSetup ' + err }); process.exit(1); }
let ended = false;
const finish = () => {
  if (ended) return;
  ended = true;
  print({ end: { toAmt: ider.m.bytesToAmt, fromAmt: ider.m.bytesFromAmt } });
  try { ider.Stop(); } catch (e) { }
  setTimeout(() => process.exit(0), 100);
};
ider.onStateChanged = (sender, state) => {
  print({ state });
  if (state === 0) finish();
};
ider.Start(nodeid);
if (nodelay === 'nodelay' && ider.forwardclient) ider.forwardclient.setNoDelay(true);
setTimeout(finish, Number(seconds) * 1000);
