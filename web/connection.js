// One WebSocket per subprotocol (docs/protocol.md), reconnecting with exponential backoff.
//
//   const c = new Connection('relay', { onHello, onMessage, onState });
//   c.request({type: 'set', channel: 'pump', state: 'on'}).then(ack => ..., err => ...);
//
// Requests get page-unique ids; their ack/error settles the returned promise. When the socket
// closes, every pending request is rejected with code 'disconnected' so no control stays stuck.
//
// Authentication (docs/protocol.md): a page that holds a token sends it as the first message of
// every socket. A hello saying `auth: "required"` (no token, or not yet answered) calls
// onAuthRequired; a refused token calls onAuthFailed, and the connection waits for resume()
// instead of retrying with the same token.
import { token } from './auth.js';

const AUTH_ERRORS = new Set(['bad_token', 'token_expired', 'unauthorized']);

const MIN_DELAY_MS = 500;
// A bridge that answers again is found within 2 s: a try is three small WebSocket handshakes on
// the local network, cheap for the bridge even from many pages.
const MAX_DELAY_MS = 2000;
const REQUEST_TIMEOUT_MS = 30000; // the server has its own hardware timeout; this is a last resort

let nextRequest = 1;

// One schedule for the page's sockets: they go down together (the bridge or the network went) and
// try again together, so the page shows one countdown that only counts down.
const retry = { attempt: 0, at: 0 };

export class RequestError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export class Connection {
  constructor(subprotocol, handlers) {
    this.subprotocol = subprotocol;
    this.handlers = handlers;
    this.state = 'connecting'; // connecting | open | waiting (retry scheduled) | signin (needs a token)
    this.held = false;
    this.retryAt = 0;
    this.hello = null;
    this.pending = new Map();
    this.socket = null;
    this.timer = 0;
    this.connect();
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    return `${scheme}://${location.host}/`;
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = 0;
    this.setState('connecting');
    let socket;
    try {
      socket = new WebSocket(this.url(), this.subprotocol);
    } catch (e) {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    this.sentToken = '';
    socket.addEventListener('open', () => {
      if (this.socket !== socket) return;
      const t = token();
      if (!t) return;
      this.sentToken = t;
      socket.send(JSON.stringify({ type: 'auth', id: 'auth', token: t }));
    });
    socket.addEventListener('message', (event) => {
      if (this.socket !== socket) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        console.warn(`${this.subprotocol}: frame is not JSON`, event.data);
        return;
      }
      this.receive(message);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.hello = null;
      this.lastClose = { code: event.code, reason: event.reason };
      this.failPending('disconnected', 'connection to the bridge lost');
      if (this.held) {
        this.setState('signin');
        return;
      }
      this.scheduleRetry();
    });
    // 'error' is always followed by 'close'; nothing to do here.
  }

  receive(message) {
    if (message.type === 'hello' && message.auth === 'required') {
      // With a token on its way the real hello follows; without one, the page must sign in.
      if (!this.sentToken) {
        this.setState('signin');
        this.handlers.onAuthRequired?.(message, this);
      }
      return;
    }
    if (message.id === 'auth') {
      if (message.type === 'error') this.authFailed(message);
      return; // the ack: the hello with the access follows
    }
    if (message.type === 'error' && message.id == null && AUTH_ERRORS.has(message.code)) {
      this.authFailed(message);
      return;
    }
    if (message.type === 'hello') {
      this.hello = message;
      retry.attempt = 0; // a full handshake: the next outage starts with a short delay again
      this.setState('open');
      this.handlers.onHello?.(message, this);
      return;
    }
    if ((message.type === 'ack' || message.type === 'error') && message.id != null && this.pending.has(message.id)) {
      const request = this.pending.get(message.id);
      this.pending.delete(message.id);
      clearTimeout(request.timer);
      if (message.type === 'ack') request.resolve(message);
      else request.reject(new RequestError(message.code, message.message));
      return;
    }
    if (message.type === 'error') {
      console.warn(`${this.subprotocol}: error without a pending request`, message);
      return;
    }
    this.handlers.onMessage?.(message, this);
  }

  // The bridge refused the token (or wants one): stop retrying until resume().
  authFailed(message) {
    this.held = true;
    this.handlers.onAuthFailed?.(message, this);
  }

  // After signing in (or out): connect again now, with whatever token the page holds.
  resume() {
    this.held = false;
    clearTimeout(this.timer);
    const old = this.socket;
    this.socket = null;
    this.hello = null;
    this.failPending('disconnected', 'signing in again');
    old?.close(1000, 'signing in again');
    retry.attempt = 0;
    this.connect();
  }

  scheduleRetry() {
    // A try already planned for another socket of the page is joined; otherwise the next one is
    // 0.5 s, 1 s, 2 s, 2 s, ... away, up to 25 % sooner so that many pages do not return at once.
    const now = Date.now();
    if (!(retry.at > now)) {
      const base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** retry.attempt);
      retry.attempt += 1;
      retry.at = now + Math.round(base * (0.75 + Math.random() * 0.25));
    }
    this.retryAt = retry.at;
    this.setState('waiting');
    this.timer = setTimeout(() => this.connect(), this.retryAt - now);
  }

  // Skip the remaining backoff (user asked, or the browser came back online).
  retryNow() {
    if (this.state === 'waiting') this.connect();
  }

  setState(state) {
    this.state = state;
    this.handlers.onState?.(state, this);
  }

  get open() {
    return this.state === 'open' && this.socket?.readyState === WebSocket.OPEN;
  }

  request(message) {
    if (!this.open) return Promise.reject(new RequestError('disconnected', 'not connected to the bridge'));
    const id = `${this.subprotocol[0]}${nextRequest++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('timeout', 'no answer from the bridge'));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.send(JSON.stringify({ ...message, id }));
    });
  }

  failPending(code, text) {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const request of pending) {
      clearTimeout(request.timer);
      request.reject(new RequestError(code, text));
    }
  }
}
