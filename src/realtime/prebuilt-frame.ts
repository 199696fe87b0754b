import * as wsModule from 'ws';
import type { WebSocket } from 'ws';

interface FrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}
/** The parts of ws's Sender used here (not in @types/ws; engine.io relies on the same). */
interface SenderStatic {
  frame(data: Buffer, options: FrameOptions): Buffer[];
}
interface SenderInstance {
  _state: number;
  sendFrame(list: Buffer[], cb?: () => void): void;
}

const Sender = (wsModule as unknown as { Sender: SenderStatic }).Sender;
const TEXT_FRAME: FrameOptions = { fin: true, rsv1: false, opcode: 0x01, mask: false, readOnly: false };
const TEXT = { binary: false } as const;
/** ws's Sender state when nothing is queued (no compression or blob read in progress). */
const SENDER_IDLE = 0;

/**
 * A server→client text frame, built once and written to every subscriber. Header and
 * payload are joined into one buffer: one socket write per recipient instead of two.
 */
export const textFrame = (payload: Buffer): Buffer[] => [Buffer.concat(Sender.frame(payload, TEXT_FRAME))];

/**
 * Writes a prebuilt frame through the socket's sender: the path ws.send ends in, without
 * framing the same bytes again per client (Socket.IO's wsPreEncodedFrame does the same).
 * Falls back to ws.send whenever the sender is not idle, so order is always kept.
 */
export function sendPrebuilt(ws: WebSocket, frame: Buffer[], payload: Buffer): void {
  const sender = (ws as unknown as { _sender?: SenderInstance })._sender;
  if (sender && sender._state === SENDER_IDLE) sender.sendFrame(frame);
  else ws.send(payload, TEXT);
}
