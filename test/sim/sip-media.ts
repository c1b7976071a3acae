/**
 * What mod_sofia adds to a SIP channel as the call goes on, in the order the
 * recordings show (10, J5, J5b): no codec until media is negotiated; at early
 * media the codec and the RTP variables; at answer the local SDP; when the
 * caller's ACK arrives the dialog's headers again; at hang-up who sent the
 * BYE and the RTP statistics. Values that differ from run to run (ports,
 * SSRC, tags, SDP session ids) are generated; the conformance normaliser sets
 * them aside like UUIDs.
 */
import { randomInt } from 'node:crypto'
import type { SimChannel } from './channel.ts'

export function isSip(channel: SimChannel): boolean {
  return channel.profileValue('Source') === 'mod_sofia'
}

function token(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('')
}

/** The codec FreeSWITCH and the caller agreed on (PCMU, as every recorded SIP call). */
export function sipEarlyMedia(channel: SimChannel): void {
  const vars = channel.vars
  const localPort = 16384 + 2 * randomInt(8000)
  channel.codec = { name: 'PCMU', rate: '8000', bitRate: '64000' }
  channel.sip = { localPort, remotePort: 16384 + 2 * randomInt(8000) }
  vars.set('rtp_use_codec_string', vars.get('rtp_use_codec_string') ?? 'PCMU,PCMA')
  const settings: Array<[string, string]> = [
    ['remote_video_media_flow', 'inactive'],
    ['remote_text_media_flow', 'inactive'],
    ['remote_audio_media_flow', 'sendrecv'],
    ['audio_media_flow', 'sendrecv'],
    ['rtp_audio_recv_pt', '0'],
    ['rtp_use_codec_name', 'PCMU'],
    ['rtp_use_codec_rate', '8000'],
    ['rtp_use_codec_ptime', '20'],
    ['rtp_use_codec_channels', '1'],
    ['rtp_last_audio_codec_string', 'PCMU@8000h@20i@1c'],
    ['read_codec', 'PCMU'],
    ['original_read_codec', 'PCMU'],
    ['read_rate', '8000'],
    ['original_read_rate', '8000'],
    ['write_codec', 'PCMU'],
    ['write_rate', '8000'],
    ['dtmf_type', 'rfc2833'],
    ['local_media_ip', '127.0.0.1'],
    ['local_media_port', String(localPort)],
    ['advertised_media_ip', '127.0.0.1'],
    ['rtp_use_timer_name', 'soft'],
    ['rtp_use_pt', '0'],
    ['rtp_use_ssrc', String(randomInt(1, 2 ** 32 - 1))],
    ['rtp_2833_send_payload', '101'],
    ['rtp_2833_recv_payload', '101'],
    ['remote_media_ip', '127.0.0.1'],
    ['remote_media_port', String(channel.sip.remotePort)],
  ]
  for (const [name, value] of settings) vars.set(name, value)
}

/** The 200 OK's SDP. */
export function sipAnswered(channel: SimChannel): void {
  const session = randomInt(1_000_000_000, 2_000_000_000)
  const port = channel.sip?.localPort ?? 16384
  channel.vars.set(
    'rtp_local_sdp_str',
    `v=0\r\no=FreeSWITCH ${session} ${session + 1} IN IP4 127.0.0.1\r\ns=FreeSWITCH\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n`,
  )
}

/** The caller's ACK: sofia stores the dialog's headers again, now with the To tag. */
export function sipAcked(channel: SimChannel): void {
  const vars = channel.vars
  const tag = token(13)
  const again = (name: string): void => vars.set(name, vars.get(name))
  vars.set('sip_to_tag', tag)
  again('sip_from_tag')
  vars.set('sip_cseq', String(randomInt(100_000_000, 200_000_000)))
  again('sip_call_id')
  const via = vars.get('sip_full_via')
  if (via !== undefined) vars.set('sip_full_via', via.replace(/branch=[^;]*/, `branch=z9hG4bK${token(13)}`))
  again('sip_from_display')
  again('sip_full_from')
  const to = vars.get('sip_full_to')
  if (to !== undefined) vars.set('sip_full_to', `${to.replace(/;tag=.*$/, '')};tag=${tag}`)
}

/** Who ended the dialog, and the RTP statistics mod_sofia adds as the channel reports. */
export function sipHangup(channel: SimChannel, byUs: boolean): void {
  const vars = channel.vars
  vars.set('sip_hangup_disposition', byUs ? 'send_bye' : 'recv_bye')
  if (!channel.codec) return
  const stats: Array<[string, string]> = [
    ['in_raw_bytes', '0'],
    ['in_media_bytes', '0'],
    ['in_packet_count', '0'],
    ['in_media_packet_count', '0'],
    ['in_skip_packet_count', '0'],
    ['in_jitter_packet_count', '0'],
    ['in_dtmf_packet_count', '0'],
    ['in_cng_packet_count', '0'],
    ['in_flush_packet_count', '0'],
    ['in_largest_jb_size', '0'],
    ['in_jitter_min_variance', '0.00'],
    ['in_jitter_max_variance', '0.00'],
    ['in_jitter_loss_rate', '0.00'],
    ['in_jitter_burst_rate', '0.00'],
    ['in_mean_interval', '0.00'],
    ['in_flaw_total', '0'],
    ['in_quality_percentage', '100.00'],
    ['in_mos', '4.50'],
    ['out_raw_bytes', '0'],
    ['out_media_bytes', '0'],
    ['out_packet_count', '0'],
    ['out_media_packet_count', '0'],
    ['out_skip_packet_count', '0'],
    ['out_dtmf_packet_count', '0'],
    ['out_cng_packet_count', '0'],
    ['rtcp_packet_count', '0'],
    ['rtcp_octet_count', '0'],
  ]
  for (const [name, value] of stats) vars.set(`rtp_audio_${name}`, value)
}

/** A sofia leg answered: the caller keeps its SDP (switch_m_sdp) and the media flows are set again (J5). */
export function sipPeerMedia(channel: SimChannel): void {
  const vars = channel.vars
  const session = randomInt(1_000_000_000, 2_000_000_000)
  vars.set(
    'switch_m_sdp',
    `v=0\r\no=FreeSWITCH ${session} ${session + 1} IN IP4 192.0.2.2\r\ns=FreeSWITCH\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\nm=audio ${16384 + 2 * randomInt(8000)} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n`,
  )
  vars.set('video_media_flow', 'inactive')
  vars.set('text_media_flow', 'inactive')
  vars.set('audio_media_flow', 'sendrecv')
}
