'use strict';
/*
 * The local console: a small Slack for one workspace. Everything a person does goes to the console
 * API, which turns it into the signed request Slack would send the bot; the page redraws from the
 * stand-in's state whenever the server says something changed.
 */
(function () {
  const { renderBlocks, mrkdwn, escapeHtml, emoji } = window.BlockKit;
  const $ = (id) => document.getElementById(id);
  const QUICK_REACTIONS = ['+1', 'white_check_mark', 'eyes', 'tada'];
  const COMMANDS = [
    ['/vpn issue laptop', 'a certificate and profile for this device'],
    ['/vpn status', 'your certificates'],
    ['/vpn revoke', 'revoke your own (lost device)'],
    ['/vpn revoke @alice', 'admins: revoke someone'],
    ['/vpn list', 'admins: every certificate'],
    ['/vpn crl', 'admins: CRL health'],
    ['/vpn help', 'everything'],
  ];

  const ui = {
    me: localStorage.getItem('vpn-chatops.me') || 'U0ADMIN',
    view: { kind: 'channel', id: 'C0GENERAL' },
    data: null,
    seen: JSON.parse(localStorage.getItem('vpn-chatops.seen') || '{}'),
    modalKey: '',
    refreshing: null,
    again: false,
  };

  // ---- talking to the server -------------------------------------------------------------------

  async function post(route, body) {
    const response = await fetch(`/console/api/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: ui.me, ...body }),
    });
    const answer = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
    if (!answer.ok) throw new Error(answer.error || `HTTP ${response.status}`);
    return answer;
  }

  async function act(route, body) {
    try {
      return await post(route, body);
    } catch (error) {
      toast(error.message);
      return undefined;
    } finally {
      refresh();
    }
  }

  /** One refresh at a time; changes that arrive meanwhile cause exactly one more. */
  function refresh() {
    if (ui.refreshing) {
      ui.again = true;
      return ui.refreshing;
    }
    ui.refreshing = (async () => {
      try {
        const response = await fetch(`/console/api/state?user=${encodeURIComponent(ui.me)}`);
        if (response.ok) {
          ui.data = await response.json();
          render();
        }
      } catch (error) {
        toast(`The console server is not answering (${error.message}); is npm start still running?`);
      } finally {
        ui.refreshing = null;
        if (ui.again) {
          ui.again = false;
          refresh();
        }
      }
    })();
    return ui.refreshing;
  }

  function listen() {
    const events = new EventSource('/console/api/events');
    events.onmessage = () => refresh();
    events.onopen = () => refresh();
  }

  // ---- helpers ---------------------------------------------------------------------------------

  let toastTimer;
  function toast(text) {
    const node = $('toast');
    node.textContent = text;
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (node.hidden = true), 6000);
  }

  const user = (id) => (ui.data ? ui.data.users.find((u) => u.id === id) : undefined);
  const initials = (name) =>
    name
      .split(/\s+/)
      .map((part) => part[0])
      .join('')
      .slice(0, 2)
      .toUpperCase();
  const time = (ts) => new Date(Number(ts) * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const size = (bytes) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`);
  const currentChannel = () => (ui.view.kind === 'channel' ? ui.view.id : ui.data.app.dm);
  const latest = (channel) => {
    const list = (ui.data && ui.data.messages[channel]) || [];
    return list.length ? list[list.length - 1].ts : '0';
  };

  function markSeen() {
    if (!ui.data || (ui.view.kind === 'app' && ui.view.tab === 'home')) return;
    const key = `${ui.me}/${currentChannel()}`;
    ui.seen[key] = latest(currentChannel());
    localStorage.setItem('vpn-chatops.seen', JSON.stringify(ui.seen));
  }

  const unread = (channel) => Number(latest(channel)) > Number(ui.seen[`${ui.me}/${channel}`] || 0);

  // ---- rendering -------------------------------------------------------------------------------

  function render() {
    if (!ui.data) return;
    renderSidebar();
    renderMain();
    renderModal();
    markSeen();
  }

  function renderSidebar() {
    const who = $('who');
    const people = ui.data.users.filter((u) => !u.bot);
    if (who.options.length !== people.length) {
      who.innerHTML = people
        .map(
          (u) =>
            `<option value="${escapeHtml(u.id)}">${escapeHtml(u.realName)}${u.admin ? ' · VPN admin' : ''}</option>`,
        )
        .join('');
    }
    who.value = ui.me;
    const leaver = $('deactivate-who');
    const active = people.filter((u) => !u.deactivated);
    if (leaver.options.length !== active.length) {
      const chosen = leaver.value;
      leaver.innerHTML = active
        .map((u) => `<option value="${escapeHtml(u.id)}">${escapeHtml(u.realName)}</option>`)
        .join('');
      if (active.some((u) => u.id === chosen)) leaver.value = chosen;
    }

    const channels = $('channels');
    channels.innerHTML = '';
    for (const channel of ui.data.channels) {
      const item = navItem(
        `# ${channel.name}`,
        ui.view.kind === 'channel' && ui.view.id === channel.id,
        unread(channel.id),
        () => go({ kind: 'channel', id: channel.id }),
      );
      item.dataset.testid = `channel-${channel.name}`;
      channels.appendChild(item);
    }
    const apps = $('apps');
    apps.innerHTML = '';
    const app = navItem('🔐 vpn-chatops', ui.view.kind === 'app', unread(ui.data.app.dm), () =>
      go({ kind: 'app', tab: 'messages' }),
    );
    app.dataset.testid = 'app-vpn-chatops';
    apps.appendChild(app);

    $('about').innerHTML = Object.entries(ui.data.about || {})
      .map(([what, where]) => `<dt>${escapeHtml(what)}</dt><dd>${escapeHtml(where)}</dd>`)
      .join('');
  }

  function navItem(label, active, hasUnread, onClick) {
    const item = document.createElement('li');
    const link = document.createElement('button');
    link.type = 'button';
    link.className = `nav-item${active ? ' active' : ''}${hasUnread && !active ? ' unread' : ''}`;
    link.textContent = label;
    link.addEventListener('click', onClick);
    item.appendChild(link);
    return item;
  }

  function go(view) {
    const openingHome =
      view.kind === 'app' && view.tab === 'home' && !(ui.view.kind === 'app' && ui.view.tab === 'home');
    ui.view = view;
    render();
    if (view.kind === 'app') act('open', { tab: view.tab });
    if (openingHome) $('content').scrollTop = 0;
  }

  function renderMain() {
    const content = $('content');
    const stick = content.scrollHeight - content.scrollTop - content.clientHeight < 40;
    const isApp = ui.view.kind === 'app';
    const home = isApp && ui.view.tab === 'home';
    const channel = isApp ? undefined : ui.data.channels.find((c) => c.id === ui.view.id);
    if (!isApp && !channel) ui.view = { kind: 'channel', id: 'C0GENERAL' };

    $('title').textContent = isApp ? '🔐 vpn-chatops' : `# ${(channel || ui.data.channels[0]).name}`;
    $('tabs').hidden = !isApp;
    for (const tab of $('tabs').querySelectorAll('button'))
      tab.classList.toggle('active', isApp && tab.dataset.tab === ui.view.tab);
    $('composer').hidden = home;
    $('message').placeholder = isApp
      ? 'Message vpn-chatops — type /vpn help'
      : `Message #${(channel || ui.data.channels[0]).name} — type /vpn help`;

    content.innerHTML = '';
    content.className = `content${home ? ' home' : ''}`;
    if (home) {
      renderHome(content);
      return;
    }
    const messages = ui.data.messages[currentChannel()] || [];
    if (messages.length === 0) content.appendChild(emptyChannel(isApp));
    for (const message of messages) content.appendChild(renderMessage(message));
    if (stick || ui.stickNext) content.scrollTop = content.scrollHeight;
    ui.stickNext = false;
  }

  function emptyChannel(isApp) {
    const node = document.createElement('div');
    node.className = 'empty';
    node.innerHTML = isApp
      ? '<p>This is your direct message with <b>vpn-chatops</b>. Profiles, setup steps and login approvals arrive here.</p><p>Try <code>/vpn issue laptop</code> below, or open the <b>Home</b> tab.</p>'
      : '<p>Type <code>/vpn help</code> below to start. Replies from the bot here are visible only to you, as in Slack.</p>';
    return node;
  }

  function renderHome(content) {
    const view = ui.data.home;
    if (!view) {
      const node = document.createElement('div');
      node.className = 'empty';
      node.textContent = 'Loading the App Home…';
      content.appendChild(node);
      return;
    }
    const surface = document.createElement('div');
    surface.className = 'surface';
    surface.dataset.testid = 'home';
    surface.appendChild(renderBlocks(view.blocks, blockContext({ kind: 'view', viewId: view.id }, view)));
    content.appendChild(surface);
  }

  /** Choices made in a view's selects, by view, block and action: kept across refreshes until the view changes. */
  const selections = {};

  function blockContext(target) {
    const key = target.kind === 'view' ? target.viewId : '';
    return {
      users: ui.data.users,
      onButton: (ref, element, node) => click(target, ref, element, node, selections[key]),
      chosen: (block, action) => selections[key] && selections[key][block] && selections[key][block][action],
      onSelect: (block, action, value) => {
        if (!key) return;
        selections[key] = selections[key] || {};
        selections[key][block] = { ...(selections[key][block] || {}), [action]: value };
      },
    };
  }

  function renderMessage(message) {
    const author = user(message.user) || { realName: message.user, bot: message.bot };
    const row = document.createElement('article');
    row.className = `message${message.ephemeral ? ' ephemeral' : ''}`;
    row.dataset.ts = message.ts;
    row.dataset.testid = 'message';

    const avatar = document.createElement('div');
    avatar.className = `avatar${message.bot ? ' bot' : ''}`;
    avatar.textContent = message.bot ? '🔐' : initials(author.realName);
    row.appendChild(avatar);

    const body = document.createElement('div');
    body.className = 'message-body';
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.innerHTML = `<b>${escapeHtml(message.bot ? 'vpn-chatops' : author.realName)}</b>${message.bot ? '<span class="badge">APP</span>' : ''}<time>${escapeHtml(time(message.ts))}</time>${message.edited ? '<span class="edited">(edited)</span>' : ''}`;
    body.appendChild(meta);
    if (message.ephemeral) {
      const note = document.createElement('div');
      note.className = 'only-you';
      note.textContent = '👁 Only visible to you';
      body.appendChild(note);
    }
    const target = { kind: 'message', channel: currentChannel(), ts: message.ts, ephemeral: message.ephemeral };
    if (message.blocks && message.blocks.length) {
      const blocks = document.createElement('div');
      blocks.className = 'blocks';
      blocks.appendChild(renderBlocks(message.blocks, blockContext(target)));
      body.appendChild(blocks);
    } else if (message.text) {
      const text = document.createElement('div');
      text.className = 'bk-text';
      text.innerHTML = mrkdwn(message.text, ui.data.users);
      body.appendChild(text);
    }
    for (const file of message.files) body.appendChild(fileCard(file));
    if (message.reactions.length) body.appendChild(reactionsRow(message));
    row.appendChild(body);
    if (!message.ephemeral) row.appendChild(reactionBar(message));
    return row;
  }

  function fileCard(file) {
    const card = document.createElement('a');
    card.className = 'file';
    card.href = file.url;
    card.download = file.name;
    card.dataset.testid = 'file';
    card.innerHTML = `<span class="file-icon">📄</span><span class="file-text"><b>${escapeHtml(file.title || file.name)}</b><small>${escapeHtml(size(file.size))} · click to download</small></span>`;
    return card;
  }

  function reactionsRow(message) {
    const row = document.createElement('div');
    row.className = 'reactions';
    for (const reaction of message.reactions) {
      const chip = document.createElement('button');
      chip.type = 'button';
      const mine = reaction.users.includes(ui.me);
      chip.className = `reaction${mine ? ' mine' : ''}`;
      chip.title = reaction.users.map((id) => (user(id) || { realName: id }).realName).join(', ');
      chip.textContent = `${emoji(reaction.name) || `:${reaction.name}:`} ${reaction.count}`;
      if (!mine) chip.addEventListener('click', () => react(message, reaction.name));
      row.appendChild(chip);
    }
    return row;
  }

  function reactionBar(message) {
    const bar = document.createElement('div');
    bar.className = 'reaction-bar';
    for (const name of QUICK_REACTIONS) {
      const add = document.createElement('button');
      add.type = 'button';
      add.title = `React with :${name}:`;
      add.dataset.testid = `react-${name}`;
      add.textContent = emoji(name);
      add.addEventListener('click', () => react(message, name));
      bar.appendChild(add);
    }
    return bar;
  }

  function react(message, name) {
    return act('react', { channel: currentChannel(), ts: message.ts, name });
  }

  // ---- buttons, confirmations, modals ----------------------------------------------------------

  async function click(target, ref, element, node, chosen) {
    if (element.confirm && !(await confirmDialog(element.confirm))) return;
    node.disabled = true;
    await act('click', { target, block: ref.block, element: ref.element, ...(chosen && { selections: chosen }) });
    node.disabled = false;
  }

  function confirmDialog(confirm) {
    return new Promise((resolve) => {
      const overlay = $('overlay');
      overlay.hidden = false;
      overlay.innerHTML = '';
      const dialog = document.createElement('div');
      dialog.className = 'dialog confirm';
      dialog.dataset.testid = 'confirm';
      dialog.innerHTML = `<h2>${BlockKit.textHtml(confirm.title, ui.data.users)}</h2><div class="bk-text">${BlockKit.textHtml(confirm.text, ui.data.users)}</div>`;
      const buttons = document.createElement('div');
      buttons.className = 'dialog-buttons';
      const done = (answer) => {
        overlay.hidden = true;
        overlay.innerHTML = '';
        ui.modalKey = '';
        resolve(answer);
        renderModal();
      };
      const deny = document.createElement('button');
      deny.type = 'button';
      deny.className = 'bk-button';
      deny.innerHTML = BlockKit.textHtml(confirm.deny || { type: 'plain_text', text: 'Cancel' }, ui.data.users);
      deny.addEventListener('click', () => done(false));
      const ok = document.createElement('button');
      ok.type = 'button';
      ok.className = `bk-button ${confirm.style === 'danger' ? 'danger' : 'primary'}`;
      ok.dataset.testid = 'confirm-ok';
      ok.innerHTML = BlockKit.textHtml(confirm.confirm || { type: 'plain_text', text: 'Yes' }, ui.data.users);
      ok.addEventListener('click', () => done(true));
      buttons.append(deny, ok);
      dialog.appendChild(buttons);
      overlay.appendChild(dialog);
      ui.modalKey = 'confirm';
    });
  }

  function renderModal() {
    const overlay = $('overlay');
    if (ui.modalKey === 'confirm') return;
    const modal = ui.data.modal;
    const key = modal ? JSON.stringify(modal) : '';
    if (key === ui.modalKey) return;
    ui.modalKey = key;
    overlay.innerHTML = '';
    overlay.hidden = !modal;
    if (!modal) return;
    const dialog = document.createElement('form');
    dialog.className = 'dialog modal';
    dialog.dataset.testid = 'modal';
    const title = document.createElement('h2');
    title.innerHTML = BlockKit.textHtml(modal.title, ui.data.users);
    dialog.appendChild(title);
    const body = document.createElement('div');
    body.className = 'modal-body';
    body.appendChild(renderBlocks(modal.blocks, blockContext({ kind: 'view', viewId: modal.id })));
    dialog.appendChild(body);
    const buttons = document.createElement('div');
    buttons.className = 'dialog-buttons';
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'bk-button';
    close.innerHTML = BlockKit.textHtml(modal.close || { type: 'plain_text', text: 'Cancel' }, ui.data.users);
    close.addEventListener('click', () => act('close', {}));
    buttons.appendChild(close);
    if (modal.submit) {
      const submit = document.createElement('button');
      submit.type = 'submit';
      submit.className = 'bk-button primary';
      submit.dataset.testid = 'modal-submit';
      submit.innerHTML = BlockKit.textHtml(modal.submit, ui.data.users);
      buttons.appendChild(submit);
    }
    dialog.appendChild(buttons);
    dialog.addEventListener('submit', async (event) => {
      event.preventDefault();
      const values = {};
      for (const field of dialog.querySelectorAll('.bk-field')) {
        values[field.dataset.blockId] = {
          ...(values[field.dataset.blockId] || {}),
          [field.dataset.actionId]: field.value,
        };
      }
      for (const error of dialog.querySelectorAll('.bk-error')) error.textContent = '';
      const answer = await act('submit', { viewId: modal.id, values });
      for (const [blockId, text] of Object.entries((answer && answer.errors) || {})) {
        const slot = dialog.querySelector(`[data-error-for="${CSS.escape(blockId)}"]`);
        if (slot) slot.textContent = text;
        else toast(text);
      }
    });
    overlay.appendChild(dialog);
  }

  // ---- the composer ----------------------------------------------------------------------------

  function suggestions() {
    const box = $('suggestions');
    box.innerHTML = '';
    for (const [command, what] of COMMANDS) {
      const chip = document.createElement('button');
      chip.type = 'button';
      chip.className = 'chip';
      chip.title = what;
      chip.textContent = command;
      chip.addEventListener('click', () => {
        $('message').value = command;
        $('message').focus();
      });
      box.appendChild(chip);
    }
  }

  async function send(event) {
    event.preventDefault();
    const input = $('message');
    const text = input.value.trim();
    if (!text) return;
    if (!text.startsWith('/')) {
      toast('This console sends slash commands to the bot: try /vpn help.');
      return;
    }
    input.value = '';
    ui.stickNext = true;
    const answer = await act('command', { channel: currentChannel(), text });
    if (!answer) input.value = text;
  }

  // ---- start -----------------------------------------------------------------------------------

  $('who').addEventListener('change', (event) => {
    ui.me = event.target.value;
    localStorage.setItem('vpn-chatops.me', ui.me);
    ui.modalKey = '';
    refresh().then(() => {
      if (ui.view.kind === 'app') act('open', { tab: ui.view.tab });
    });
  });
  for (const tab of $('tabs').querySelectorAll('button'))
    tab.addEventListener('click', () => go({ kind: 'app', tab: tab.dataset.tab }));
  $('composer').addEventListener('submit', send);
  $('deactivate').addEventListener('click', () => act('deactivate', { target: $('deactivate-who').value }));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && ui.data && ui.data.modal && ui.modalKey !== 'confirm') act('close', {});
  });
  suggestions();
  listen();
  refresh();
})();
