/** Text forms of the daemon's listings and bus events, in the spirit of `swanctl --list-sas`. */
import type { BusEvent } from '@mip6sec/core';
import type { ChildSaListing, IkeSaListing } from '@mip6sec/ike';

function child(c: ChildSaListing): string[] {
  const lines = [
    `  ${c.name}: #${c.reqid}, ${c.state.toUpperCase()}, ${c.mode.toUpperCase()}, ESP${c.encap ? ' in UDP' : ''}, SPIs: ${c.spiIn}_i ${c.spiOut}_o`,
    `    ${c.algorithms}`,
    `    local  ${c.localTs.join(' ')}`,
    `    remote ${c.remoteTs.join(' ')}`,
  ];
  if (c.keys) {
    lines.push(
      `    in  enc ${c.keys.encIn || '-'} integ ${c.keys.integIn || '-'}`,
      `    out enc ${c.keys.encOut || '-'} integ ${c.keys.integOut || '-'}`,
    );
  }
  return lines;
}

/** An IKE SA and its CHILD_SAs, several lines. */
export function formatListing(sa: IkeSaListing): string {
  const nat = [
    sa.natLocal ? 'NAT-T (we are behind a NAT)' : '',
    sa.natRemote ? 'NAT-T (peer behind a NAT)' : '',
  ]
    .filter((x) => x !== '')
    .join(', ');
  const flags = [sa.algorithms ?? '', nat, sa.mobike ? 'MOBIKE' : ''].filter((x) => x !== '');
  const lines = [
    `${sa.peer ?? 'peer'}: ${sa.state.toUpperCase()}, IKEv2, ${sa.spiI}_i${sa.initiator ? '*' : ''} ${sa.spiR}_r${sa.initiator ? '' : '*'}`,
    `  local  '${sa.localId}' @ ${sa.local}`,
    `  remote '${sa.remoteId}' @ ${sa.remote}`,
    `  ${flags.join(', ')}`,
  ];
  if (sa.homeAddress?.address)
    lines.push(`  home address ${sa.homeAddress.address}/${sa.homeAddress.prefixLen ?? 128}`);
  if (sa.assignedToPeer) lines.push(`  assigned home address ${sa.assignedToPeer} to the peer`);
  if (sa.keys) {
    for (const [k, v] of Object.entries(sa.keys)) lines.push(`  ${k} ${v}`);
  }
  for (const c of sa.children) lines.push(...child(c));
  return lines.join('\n');
}

/** One line for a bus event the serving daemon prints, or undefined for those it does not. */
export function formatEvent(e: BusEvent): string | undefined {
  switch (e.type) {
    case 'ike.sa-established':
      return `IKE_SA ${e.ikeSpi} established as ${e.initiator ? 'initiator' : 'responder'}: '${e.localId}' ${e.local.ip}[${e.local.port}] <-> '${e.remoteId}' ${e.remote.ip}[${e.remote.port}]`;
    case 'ike.child-installed':
      return `CHILD_SA reqid ${e.reqid} ${e.rekey ? 'rekeyed' : 'installed'} in IKE_SA ${e.ikeSpi}: SPIs ${e.inbound.spi.toString(16).padStart(8, '0')}_i ${e.outbound.spi.toString(16).padStart(8, '0')}_o`;
    case 'ike.sa-deleted':
      return `IKE_SA ${e.ikeSpi} deleted: ${e.reason}`;
    case 'ike.addresses-updated':
      return `IKE_SA ${e.ikeSpi} moved (${e.cause}): ${e.local.ip}[${e.local.port}] <-> ${e.remote.ip}[${e.remote.port}]`;
    case 'ike.home-address':
      return `home address ${e.hoa}/${e.prefixLen} assigned to '${e.identity}'`;
    case 'ike.exchange':
      return e.ok ? undefined : `${e.exchange} ${e.initiator ? 'request' : 'response'} failed`;
    default:
      return undefined;
  }
}
