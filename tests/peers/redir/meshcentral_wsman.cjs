// Drives MeshCentral's own WS-Management stack (npm meshcentral, amt/amt-wsman-comm.js,
// amt-wsman.js, amt.js: what its server uses to manage Intel AMT) against one device:
//   node meshcentral_wsman.cjs HOST PORT USER PASS ACTION [tls]
// Reads AMT_GeneralSettings, enumerates CIM_SoftwareIdentity, reads the hardware inventory, the power state
// (CIM_ServiceAvailableToElement), requests power state ACTION (a DSP1027 number, 0 = none) and
// reads the power state again, then the audit and event logs. Prints one JSON object; exits 1 on
// a failed call. With "tls" it connects with TLS as MeshCentral's amtmanager does to a LAN device
// configured for TLS (no certificate check, xtlsFingerprint 0) and adds the certificate it met:
// tlsCertificate {fingerprint: the hash amtmanager records as intelamt.hash, sha384}.
'use strict';
const path = require('path');
const mc = path.dirname(require.resolve('meshcentral/package.json'));
const CreateWsmanComm = require(path.join(mc, 'amt', 'amt-wsman-comm.js'));
const WsmanStackCreateService = require(path.join(mc, 'amt', 'amt-wsman.js'));
const AmtStackCreateService = require(path.join(mc, 'amt', 'amt.js'));

const [host, port, user, pass, action, tls] = process.argv.slice(2);
const comm = CreateWsmanComm(host, Number(port), user, pass, tls === 'tls' ? 1 : 0);
if (tls === 'tls') comm.xtlsFingerprint = 0;
const stack = AmtStackCreateService(WsmanStackCreateService(comm));
const out = {};
// The stack keeps its HTTP connection open (keep-alive, as to AMT): end the process when done.
const done = () => {
  if (tls === 'tls' && comm.xtlsCertificate) {
    out.tlsCertificate = { fingerprint: comm.getPeerCertificateFingerprint(),
      sha384: require('crypto').createHash('sha384').update(comm.xtlsCertificate.raw).digest('hex') };
  }
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0)); };
const fail = (what, status) => { out.error = `${what}: HTTP status ${status}`; process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(1)); };

function powerState(done) {
  stack.BatchEnum(null, ['CIM_ServiceAvailableToElement'], (s, name, responses, status) => {
    if (status !== 200) return fail('CIM_ServiceAvailableToElement', status);
    done(responses['CIM_ServiceAvailableToElement'].responses[0].PowerState);
  });
}

stack.Get('AMT_GeneralSettings', (s, name, response, status) => {
  if (status !== 200) return fail('AMT_GeneralSettings', status);
  out.generalSettings = response.Body;
  stack.BatchEnum(null, ['CIM_SoftwareIdentity'], (s2, n2, responses, status2) => {
    if (status2 !== 200) return fail('CIM_SoftwareIdentity', status2);
    out.software = responses['CIM_SoftwareIdentity'].responses.map((r) => [r.InstanceID, r.VersionString]);
    // The hardware inventory MeshCentral's amtmanager reads: Get ('*') of the single instances,
    // Enumerate of the others (their answer is the list of instances).
    const hw = ['*CIM_Chassis', '*CIM_Card', '*CIM_BIOSElement', 'CIM_Processor', 'CIM_PhysicalMemory', 'AMT_EthernetPortSettings'];
    stack.BatchEnum(null, hw, (s4, n4, inv, status4) => {
      if (status4 !== 200) return fail('hardware inventory', status4);
      out.hardware = {};
      for (const name of hw.map((n) => n.replace('*', ''))) {
        const r = inv[name];
        out.hardware[name] = r.status !== 200 ? { status: r.status } : (Array.isArray(r.responses) ? r.responses : r.response);
      }
      next();
    });
  });
});

function next() {
    powerState((before) => {
      out.powerBefore = before;
      if (Number(action) === 0) return logs();
      stack.RequestPowerStateChange(Number(action), (s3, n3, response3, status3) => {
        if (status3 !== 200) return fail('RequestPowerStateChange', status3);
        out.returnValue = response3.Body.ReturnValue;
        powerState((after) => { out.powerAfter = after; logs(); });
      });
    });
}

// The security audit log and the event log, as MeshCentral decodes them.
function logs() {
  stack.GetAuditLog((s5, records, status5) => {
    if (status5 !== 200) return fail('AMT_AuditLog', status5);
    out.audit = records.map((r) => [r.AuditApp, r.Event, r.Initiator]);
    out.auditIds = records.map((r) => [r.AuditAppID, r.EventID]);
    stack.GetMessageLog((s6, messages, tag6, status6) => {
      if (status6 !== 200 || messages == null) return fail('AMT_MessageLog', status6);
      out.events = messages.map((m) => [m.EntityStr, m.Desc]);
      out.eventRecords = messages.map((m) => ({ type: m.EventSensorType, offset: m.EventOffset, data: m.EventData,
        entity: m.Entity }));
      done();
    });
  });
}

