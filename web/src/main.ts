/** The web chat UI: sign-up and login, friends, rooms with unread badges, and the open room. */
import { ApiError, LiveConnection, request, type LiveStatus } from './api';
import { byId, h, randomId } from './dom';
import type { SearchUsersQuery, SidebarQuery } from './gql/graphql';
import { AddFriend, CreateRoom, LogIn, LogOut, Me, SearchUsers, SendChat, Sidebar, SignUp } from './operations';
import { replyToIdFor, setReplyTarget } from './message-actions';
import { mountMessageSearch } from './search';
import { RoomView } from './room';
import { wireAttach } from './attach';
import { applyUserEvent } from './live';
import { MyEvents } from './live-operations';

/*
 * No polling: the room and friend lists are read when the live connection
 * (re)connects, right after myEvents is subscribed, and kept up to date by it.
 */
const SESSION_KEY = 'kafka-chat.token';

type User = SearchUsersQuery['searchUsers'][number];

/** How a person is named in lists: the display name defaults to the username, so it shows once then. */
const nameOf = (user: { username: string; displayName: string }) =>
  user.displayName === user.username ? `@${user.username}` : `${user.displayName} (@${user.username})`;
type RoomSummary = SidebarQuery['rooms'][number];

interface Session {
  token: string;
  user: User;
  live: LiveConnection;
}

let session: Session | null = null;
let room: RoomView | null = null;
let sidebar: SidebarQuery | null = null;
let renderedSidebar = '';
let refreshCount = 0;
/** Sidebar reads on their way (an event arriving meanwhile asks for another). */
let refreshesInFlight = 0;
/** Friends ticked for the next new room. */
const ticked = new Set<string>();
let searchResults: User[] = [];
let searchCount = 0;
let searchTimer: number | undefined;
/** A message that failed to send: sending the same text again reuses its clientMessageId, so it lands at most once. */
let unsent: { roomId: string; body: string; clientMessageId: string } | null = null;

// ---- errors: shown until dismissed or replaced; one from a background refresh goes once a refresh succeeds ----

let errorSource: string | null = null;

function showError(err: unknown, source = 'action'): void {
  const error = err instanceof ApiError ? err : new ApiError(err instanceof Error ? err.message : String(err), 'CLIENT_ERROR');
  byId('error-text').textContent = `${error.message} (${error.code})`;
  byId('error').hidden = false;
  errorSource = source;
  // The token was refused (expired or logged out elsewhere): back to the login form, with the error still shown.
  if (error.code === 'UNAUTHENTICATED' && session) stop();
}

function clearError(source?: string): void {
  if (source !== undefined && source !== errorSource) return;
  byId('error').hidden = true;
  errorSource = null;
}

byId('error-close').addEventListener('click', () => clearError());

/** Runs a user action with the form's buttons disabled; its error is shown. */
async function withForm(form: HTMLElement, action: () => Promise<void>): Promise<void> {
  const buttons = [...form.querySelectorAll('button')];
  buttons.forEach((b) => (b.disabled = true));
  clearError();
  try {
    await action();
  } catch (err) {
    showError(err);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

// ---- session ----

function showStatus(status: LiveStatus | null): void {
  const element = byId('status');
  element.textContent = status === null ? '' : { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…' }[status];
  element.className = `status ${status ?? ''}`;
  if (status === 'live') clearError('live');
}

function start(token: string, user: User): void {
  sessionStorage.setItem(SESSION_KEY, token);
  session = { token, user, live: new LiveConnection(token, showStatus, (err) => showError(err, 'live')) };
  session.live.watchAlways(
    MyEvents,
    ({ myEvents }) => {
      // A read still on its way may have started before this event and would undo it: read again, after it.
      if (!sidebar || refreshesInFlight > 0) void refreshSidebar();
      if (!sidebar) return;
      applyUserEvent(sidebar, myEvents);
      renderSidebar();
    },
    () => void refreshSidebar(),
  );
  byId('whoami').textContent = nameOf(user);
  byId('auth').hidden = true;
  byId('chat').hidden = false;
  byId('logout').hidden = false;
  void refreshSidebar();
}

function stop(): void {
  room?.close();
  room = null;
  session?.live.dispose();
  session = null;
  sessionStorage.removeItem(SESSION_KEY);
  sidebar = null;
  renderedSidebar = '';
  ticked.clear();
  searchResults = [];
  unsent = null;
  showStatus(null);
  byId('whoami').textContent = '';
  byId('logout').hidden = true;
  byId('chat').hidden = true;
  byId('auth').hidden = false;
  byId('compose').hidden = true;
  byId('room-title').textContent = 'Pick a room';
  for (const id of ['rooms', 'friends', 'search-results', 'message-list']) byId(id).replaceChildren();
}

const authForm = byId<HTMLFormElement>('auth-form');
authForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const data = new FormData(authForm);
  const username = String(data.get('username')).trim();
  const password = String(data.get('password'));
  const login = ((event as SubmitEvent).submitter as HTMLButtonElement | null)?.value === 'login';
  void withForm(authForm, async () => {
    const auth = login
      ? (await request(LogIn, { username, password }, null)).login
      : (await request(SignUp, { input: { username, password } }, null)).signUp;
    authForm.reset();
    start(auth.token, auth.user);
  });
});

byId('logout').addEventListener('click', () => {
  const token = session?.token ?? null;
  stop();
  request(LogOut, {}, token).catch((err: unknown) => showError(err));
});

// ---- rooms and friends ----

async function refreshSidebar(): Promise<void> {
  const current = session;
  const count = ++refreshCount;
  if (!current) return;
  refreshesInFlight++;
  try {
    const data = await request(Sidebar, {}, current.token);
    if (session !== current || count !== refreshCount) return;
    sidebar = data;
    renderSidebar();
    clearError('refresh');
  } catch (err) {
    if (session === current) showError(err, 'refresh');
  } finally {
    refreshesInFlight--;
  }
}

function renderSidebar(): void {
  if (!sidebar) return;
  // Unchanged lists are left alone, so an event does not disturb a click or a ticked box.
  const key = JSON.stringify([sidebar, room?.roomId]);
  if (key === renderedSidebar) return;
  renderedSidebar = key;
  byId('rooms').replaceChildren(
    ...sidebar.rooms.map((r) => {
      const active = r.id === room?.roomId;
      const badge = r.unreadCount > 0 && !active ? h('span', { class: 'badge', title: 'unread messages' }, String(r.unreadCount)) : null;
      const button = h('button', { type: 'button', class: active ? 'active' : '', 'data-room-id': r.id }, h('span', {}, r.name), badge);
      button.addEventListener('click', () => openRoom(r));
      return h('li', {}, button);
    }),
  );
  const friendIds = new Set(sidebar.friends.map((f) => f.id));
  for (const id of ticked) if (!friendIds.has(id)) ticked.delete(id);
  byId('friends').replaceChildren(
    ...sidebar.friends.map((f) => {
      const box = h('input', { type: 'checkbox', value: f.id });
      box.checked = ticked.has(f.id);
      box.addEventListener('change', () => (box.checked ? ticked.add(f.id) : ticked.delete(f.id)));
      const dot = h('span', { class: f.online ? 'dot online' : 'dot', title: f.online ? 'online' : 'offline' });
      return h('li', { 'data-user-id': f.id }, h('label', {}, box, dot, ` ${nameOf(f)}`));
    }),
  );
  renderSearchResults();
}

function openRoom(summary: RoomSummary): void {
  if (!session || room?.roomId === summary.id) return;
  room?.close();
  unsent = null;
  setReplyTarget(null);
  const current = session;
  room = new RoomView(summary.id, {
    token: current.token,
    userId: current.user.id,
    live: current.live,
    onError: (err) => showError(err),
    onRead: (roomId) => {
      const read = sidebar?.rooms.find((r) => r.id === roomId);
      if (read) read.unreadCount = 0;
      renderSidebar();
    },
  });
  const others = summary.members.filter((m) => m.id !== current.user.id).map((m) => `@${m.username}`);
  byId('room-title').replaceChildren(summary.name, h('small', { class: 'hint' }, others.length ? `  with ${others.join(', ')}` : ''));
  byId('compose').hidden = false;
  renderSidebar();
  room.open().catch((err: unknown) => showError(err));
}

const newRoomForm = byId<HTMLFormElement>('new-room');
newRoomForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const current = session;
  if (!current) return;
  const name = String(new FormData(newRoomForm).get('name')).trim();
  void withForm(newRoomForm, async () => {
    const { createRoom } = await request(CreateRoom, { name: name || null, memberIds: [...ticked] }, current.token);
    newRoomForm.reset();
    ticked.clear();
    renderedSidebar = '';
    await refreshSidebar();
    openRoom(sidebar?.rooms.find((r) => r.id === createRoom.id) ?? { ...createRoom, lastSeq: 0, unreadCount: 0, members: [] });
  });
});

// ---- finding people ----

const searchForm = byId<HTMLFormElement>('search');
const searchInput = searchForm.elements.namedItem('query') as HTMLInputElement;
searchInput.addEventListener('input', () => {
  window.clearTimeout(searchTimer);
  searchTimer = window.setTimeout(() => void search(), 200);
});
searchForm.addEventListener('submit', (event) => {
  event.preventDefault();
  window.clearTimeout(searchTimer);
  void search();
});

async function search(): Promise<void> {
  const query = searchInput.value.trim();
  const count = ++searchCount;
  if (!session || !query) {
    searchResults = [];
    renderSearchResults();
    return;
  }
  try {
    const { searchUsers } = await request(SearchUsers, { query }, session.token);
    if (count !== searchCount) return;
    searchResults = searchUsers;
    renderSearchResults();
  } catch (err) {
    showError(err);
  }
}

function renderSearchResults(): void {
  const friends = new Set(sidebar?.friends.map((f) => f.id));
  byId('search-results').replaceChildren(
    ...searchResults.map((user) => {
      let action: HTMLElement;
      if (user.id === session?.user.id) action = h('small', { class: 'hint' }, 'you');
      else if (friends.has(user.id)) action = h('small', { class: 'hint' }, 'friend');
      else {
        const button = h('button', { type: 'button' }, 'Add friend');
        button.addEventListener('click', () => void addFriend(button, user.id));
        action = button;
      }
      return h('li', { 'data-user-id': user.id }, h('span', {}, nameOf(user)), action);
    }),
  );
}

async function addFriend(button: HTMLElement, userId: string): Promise<void> {
  const current = session;
  if (!current) return;
  await withForm(button.parentElement ?? button, async () => {
    await request(AddFriend, { userId }, current.token);
    await refreshSidebar();
  });
}

// ---- sending ----

const composeForm = byId<HTMLFormElement>('compose');
const composeInput = composeForm.elements.namedItem('body') as HTMLInputElement;
composeInput.addEventListener('input', () => room?.typing.keyPress(composeInput.value.trim() === ''));
composeForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const current = session;
  const body = composeInput.value.trim();
  if (!current || !room || !body) return;
  const roomId = room.roomId;
  if (unsent?.roomId !== roomId || unsent.body !== body) unsent = { roomId, body, clientMessageId: randomId() };
  const attempt = unsent;
  void withForm(composeForm, async () => {
    room?.typing.stop();
    // The message shows up through the room's subscription, in seq order with everyone else's.
    await request(SendChat, { input: { roomId, body, clientMessageId: attempt.clientMessageId, replyToId: replyToIdFor(roomId) } }, current.token);
    if (unsent === attempt) unsent = null;
    setReplyTarget(null);
    if (composeInput.value.trim() === body) composeInput.value = '';
  }).then(() => composeInput.focus());
});

// Files: the attach button sends to the open room.
wireAttach(() => (session && room ? { token: session.token, roomId: room.roomId } : null), (err) => showError(err));
// ---- searching messages (./search): a result opens its room at that message ----

mountMessageSearch(byId('search-results'), {
  token: () => session?.token ?? null,
  onError: (err) => showError(err),
  openAt: (roomId, seq) => {
    const summary = sidebar?.rooms.find((r) => r.id === roomId);
    if (summary && room?.roomId !== roomId) openRoom(summary);
    const opened = room;
    if (!opened || opened.roomId !== roomId) return;
    opened.shown.then(() => opened.reveal(seq)).catch((err: unknown) => showError(err));
  },
});

// ---- start: resume this tab's session if it has one ----

const storedToken = sessionStorage.getItem(SESSION_KEY);
if (storedToken) {
  request(Me, {}, storedToken).then(
    ({ me }) => start(storedToken, me),
    (err: unknown) => {
      sessionStorage.removeItem(SESSION_KEY);
      showError(err);
    },
  );
}
