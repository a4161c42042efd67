/*
 * Order Tracker: the Orders card (custom:order-tracker-card) and the Orders dashboard strategy
 * (strategy type custom:order-tracker). Served by the integration itself (card.py); plain
 * JavaScript, no build step, no dependency.
 *
 * Orders are found in Home Assistant's registries, as the integration creates them: every
 * order is a device with a "status" sensor (platform order_tracker, translation key
 * "status", state = the canonical stage); the other entities of that device carry the
 * provider's status, confirmations, deadline, eta and amounts. Accounts are devices
 * identified by ["order_tracker", <config entry id>].
 */

const DOMAIN = "order_tracker";
const CARD = "order-tracker-card";
const PATH = ["pending", "action_required", "in_progress", "confirming", "completed"];
const FAILURES = ["failed", "cancelled", "expired"];
const FINISHED = ["completed", ...FAILURES];
const FINISHED_MODES = ["collapsed", "expanded", "hidden"];
const NOT_AMOUNTS = new Set(["status", "confirmations", "orders_in_progress", "lease_end"]);

// English, used until (or where) the integration's translations say otherwise:
// component.order_tracker.selector.card.options.<key>.
const TEXT = {
  orders: "Orders",
  no_orders: "No orders tracked yet. Track one from the Order Tracker integration.",
  not_found: "This order is not tracked (any more).",
  finished: "Finished",
  in_status: "Time in status",
  lease_end: "Lease ends",
  blocks: "blocks",
  overdue: "overdue",
  action_title: "Your action is needed",
  pay_invoice: "Pay this Lightning invoice to continue the order.",
  act_elsewhere: "Open the order at the provider to continue it.",
  copy: "Copy",
  copied: "Copied",
  open_wallet: "Open in wallet",
  order_page: "Order page",
  explorer: "Explorer",
  unavailable: "Waiting for the provider's answer",
  entity: "Order (its Status sensor)",
  entry_id: "Account",
  title: "Title",
  finished_mode: "Finished orders",
  collapsed: "Collapsed",
  expanded: "Expanded",
  hidden: "Hidden",
};
const STAGE_TEXT = {
  pending: "Pending",
  action_required: "Action required",
  in_progress: "In progress",
  confirming: "Confirming",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
  expired: "Expired",
};

const esc = (value) =>
  String(value ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]
  );
const safeUrl = (url) => (typeof url === "string" && /^https?:\/\//i.test(url) ? url : null);
const parseTime = (value) => {
  const time = typeof value === "string" ? Date.parse(value) : NaN;
  return Number.isFinite(time) ? time : null;
};

let translations = null;
let translationsLanguage = null;

/** The integration's card texts in the user's language (loaded once per language). */
function loadTranslations(hass) {
  if (!hass || translationsLanguage === hass.language || !hass.loadBackendTranslation) return;
  translationsLanguage = hass.language;
  hass
    .loadBackendTranslation("selector", DOMAIN)
    .then((localize) => {
      translations = localize;
      document.dispatchEvent(new CustomEvent("order-tracker-translations"));
    })
    .catch(() => {});
}

function text(hass, key) {
  const localize = translations || hass?.localize;
  const found = localize?.(`component.${DOMAIN}.selector.card.options.${key}`);
  return found || TEXT[key] || key;
}

function stageText(hass, stage) {
  return hass?.localize?.(`component.${DOMAIN}.entity.sensor.status.state.${stage}`) ||
    STAGE_TEXT[stage] || stage;
}

function entityName(hass, key, fallback) {
  return hass?.localize?.(`component.${DOMAIN}.entity.sensor.${key}.name`) || fallback || key;
}

function language(hass) {
  return hass?.locale?.language || hass?.language || navigator.language || "en";
}

/** "5 min", "2 h 3 min", "3 d 4 h": the two largest units. */
function duration(hass, ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const units = [
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
    ["second", 1],
  ];
  const parts = [];
  let rest = seconds;
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count || (unit === "second" && !parts.length)) {
      parts.push(
        new Intl.NumberFormat(language(hass), {
          style: "unit",
          unit,
          unitDisplay: "short",
        }).format(count)
      );
      rest -= count * size;
    }
    if (parts.length === 2 || (parts.length && unit === "minute" && seconds >= 3600)) break;
  }
  return parts.join(" ");
}

/** "in 12 minutes", "3 hours ago". */
function relative(hass, time, now) {
  const diff = (time - now) / 1000;
  const abs = Math.abs(diff);
  const [unit, size] =
    abs < 90 ? ["second", 1] : abs < 5400 ? ["minute", 60] : abs < 129600 ? ["hour", 3600] : ["day", 86400];
  return new Intl.RelativeTimeFormat(language(hass), { numeric: "auto" }).format(
    Math.round(diff / size),
    unit
  );
}

function absolute(hass, time) {
  const options = { dateStyle: "medium", timeStyle: "short" };
  if (hass?.locale?.time_zone === "server" && hass.config?.time_zone) {
    options.timeZone = hass.config.time_zone;
  }
  try {
    return new Intl.DateTimeFormat(language(hass), options).format(new Date(time));
  } catch (err) {
    return new Date(time).toISOString();
  }
}

function formatState(hass, stateObj) {
  if (!stateObj) return "";
  try {
    if (hass.formatEntityState) return hass.formatEntityState(stateObj);
  } catch (err) {
    /* fall through */
  }
  const unit = stateObj.attributes?.unit_of_measurement;
  return unit ? `${stateObj.state} ${unit}` : stateObj.state;
}

const usable = (stateObj) =>
  stateObj && !["unknown", "unavailable", "", null, undefined].includes(stateObj.state);

function entryOf(device) {
  return (
    device?.config_entry_id ||
    device?.primary_config_entry ||
    (Array.isArray(device?.config_entries) ? device.config_entries[0] : undefined)
  );
}

let found = { entities: null, devices: null, result: null };

/** Every tracked order and every account, read from the registries (cached until they change). */
function findOrders(hass) {
  if (found.result && found.entities === hass?.entities && found.devices === hass?.devices) {
    return { orders: found.result.orders, accounts: new Map(found.result.accounts) };
  }
  const result = readRegistries(hass);
  found = { entities: hass?.entities, devices: hass?.devices, result };
  return { orders: result.orders, accounts: new Map(result.accounts) };
}

function readRegistries(hass) {
  const entities = Object.values(hass?.entities || {}).filter((e) => e.platform === DOMAIN);
  const devices = hass?.devices || {};
  const byDevice = new Map();
  for (const entity of entities) {
    if (!entity.device_id) continue;
    if (!byDevice.has(entity.device_id)) byDevice.set(entity.device_id, []);
    byDevice.get(entity.device_id).push(entity);
  }
  const accounts = new Map();
  for (const device of Object.values(devices)) {
    const own = (device.identifiers || []).find((id) => id[0] === DOMAIN);
    if (own && own[1] === entryOf(device) && !device.disabled_by) {
      accounts.set(own[1], { entryId: own[1], name: device.name_by_user || device.name || own[1], created: device.created_at || 0 });
    }
  }
  const orders = [];
  for (const entity of entities) {
    if (entity.translation_key !== "status" || !entity.entity_id.startsWith("sensor.")) continue;
    const device = devices[entity.device_id];
    if (!device) continue;
    const entryId = entryOf(device);
    const related = {};
    for (const other of byDevice.get(entity.device_id) || []) {
      const key = other.translation_key || other.entity_id;
      if (other.entity_id.startsWith("sensor.")) related[key] = other.entity_id;
      else related[`${other.entity_id.split(".")[0]}.${key}`] = other.entity_id;
    }
    orders.push({
      entity: entity.entity_id,
      device,
      entryId,
      related,
      name: device.name_by_user || device.name || entity.entity_id,
      created: device.created_at || 0,
    });
  }
  orders.sort((a, b) => b.created - a.created || a.name.localeCompare(b.name));
  return { orders, accounts };
}

const STYLE = `
  :host { display: block; }
  ha-card { overflow: hidden; }
  .header { display: flex; align-items: baseline; gap: 8px; padding: 16px 16px 4px;
    font-size: var(--ha-card-header-font-size, 20px); color: var(--ha-card-header-color, var(--primary-text-color)); }
  .header .count { font-size: 14px; color: var(--secondary-text-color); }
  .empty { padding: 12px 16px 16px; color: var(--secondary-text-color); }
  .order { padding: 12px 16px; border-top: 1px solid var(--divider-color); min-width: 0; }
  .order:first-child, .header + .order { border-top: none; }
  .top { display: flex; align-items: baseline; gap: 8px; min-width: 0; }
  .name { font-weight: 500; flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .chip { flex: none; font-size: 12px; padding: 2px 8px; border-radius: 12px; white-space: nowrap;
    background: var(--secondary-background-color); color: var(--primary-text-color); }
  .chip.completed { background: var(--success-color, #43a047); color: #fff; }
  .chip.failed, .chip.cancelled, .chip.expired { background: var(--error-color, #db4437); color: #fff; }
  .chip.action_required { background: var(--warning-color, #ffa600); color: #000; }
  .sub { font-size: 12px; color: var(--secondary-text-color); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .mono { font-family: var(--code-font-family, monospace); }
  ol.steps { display: flex; list-style: none; margin: 12px 0 8px; padding: 0; }
  .step { flex: 1 1 0; min-width: 0; position: relative; text-align: center; font-size: 11px;
    color: var(--secondary-text-color); }
  .step::before { content: ""; position: absolute; top: 7px; left: -50%; width: 100%; height: 2px;
    background: var(--divider-color); }
  .step:first-child::before { display: none; }
  .step.done::before, .step.current::before { background: var(--primary-color); }
  .dot { position: relative; display: block; box-sizing: border-box; width: 16px; height: 16px; margin: 0 auto 4px;
    border-radius: 50%; border: 2px solid var(--divider-color); background: var(--card-background-color, #fff);
    font-size: 10px; line-height: 12px; color: #fff; }
  .step.done .dot { background: var(--primary-color); border-color: var(--primary-color); }
  .step.current .dot { border-color: var(--primary-color); box-shadow: 0 0 0 3px rgba(var(--rgb-primary-color, 3, 169, 244), 0.3); }
  .step.current .label { color: var(--primary-text-color); font-weight: 600; }
  .step.current.bad .dot, .step.bad::before { background: var(--error-color, #db4437); border-color: var(--error-color, #db4437); }
  .step.current.ok .dot { background: var(--success-color, #43a047); border-color: var(--success-color, #43a047); }
  .label { display: block; padding: 0 2px; overflow: hidden; text-overflow: ellipsis; overflow-wrap: anywhere; hyphens: auto; }
  dl { display: grid; grid-template-columns: minmax(0, auto) minmax(0, 1fr); gap: 2px 12px; margin: 8px 0 0; font-size: 14px; }
  dt { color: var(--secondary-text-color); }
  dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
  .cta { margin-top: 10px; padding: 10px 12px; border-radius: 8px; border-left: 4px solid var(--warning-color, #ffa600);
    background: rgba(var(--rgb-warning-color, 255, 166, 0), 0.12); }
  .cta strong { display: block; margin-bottom: 4px; }
  .invoice { display: block; margin: 6px 0; padding: 6px; border-radius: 4px; font-size: 12px; max-height: 5.5em; overflow: auto;
    overflow-wrap: anywhere; word-break: break-all; background: var(--secondary-background-color); user-select: all; }
  .actions { display: flex; flex-wrap: wrap; gap: 8px; }
  button, a.button { font: inherit; font-size: 14px; cursor: pointer; padding: 4px 12px; border-radius: 16px; text-decoration: none;
    border: 1px solid var(--primary-color); background: none; color: var(--primary-color); }
  .links { display: flex; flex-wrap: wrap; gap: 4px 16px; margin-top: 8px; font-size: 14px; }
  .links a { color: var(--primary-color); }
  details.finished { border-top: 1px solid var(--divider-color); }
  details.finished > summary { padding: 12px 16px; cursor: pointer; color: var(--secondary-text-color); }
  details.finished[open] > summary { padding-bottom: 0; }
  .unavailable { margin-top: 8px; font-size: 14px; color: var(--secondary-text-color); }
`;

class OrderTrackerCard extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = null;
    this._hass = null;
    this._signature = null;
    this._finishedOpen = null;
    this._copied = null;
    this._onTranslations = () => this._render(true);
  }

  static getStubConfig() {
    return { type: `custom:${CARD}` };
  }

  static getConfigForm() {
    return {
      schema: [
        { name: "title", selector: { text: {} } },
        { name: "entry_id", selector: { config_entry: { integration: DOMAIN } } },
        { name: "entity", selector: { entity: { filter: { integration: DOMAIN, domain: "sensor", device_class: "enum" } } } },
        {
          name: "finished",
          selector: {
            select: {
              mode: "dropdown",
              options: FINISHED_MODES.map((value) => ({ value, label: text(null, value) })),
            },
          },
        },
      ],
      computeLabel: (schema) =>
        ({ title: text(null, "title"), entry_id: text(null, "entry_id"), entity: text(null, "entity"), finished: text(null, "finished_mode") })[
          schema.name
        ],
      assertConfig: (config) => OrderTrackerCard.check(config),
    };
  }

  static check(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    for (const key of ["entity", "entry_id", "title"]) {
      if (config[key] !== undefined && typeof config[key] !== "string") {
        throw new Error(`'${key}' must be text`);
      }
    }
    if (config.entity && !config.entity.startsWith("sensor.")) {
      throw new Error("'entity' must be an order's Status sensor (sensor.…_status)");
    }
    if (config.finished !== undefined && !FINISHED_MODES.includes(config.finished)) {
      throw new Error(`'finished' must be one of: ${FINISHED_MODES.join(", ")}`);
    }
  }

  setConfig(config) {
    OrderTrackerCard.check(config);
    this._config = { ...config };
    this._finishedOpen = null;
    this._render(true);
  }

  set hass(hass) {
    this._hass = hass;
    loadTranslations(hass);
    this._render(false);
  }

  get hass() {
    return this._hass;
  }

  connectedCallback() {
    document.addEventListener("order-tracker-translations", this._onTranslations);
    // Countdowns and times in status move on their own: refresh the times every second.
    this._timer = setInterval(() => this._tick(), 1000);
    this._render(true);
  }

  disconnectedCallback() {
    document.removeEventListener("order-tracker-translations", this._onTranslations);
    clearInterval(this._timer);
  }

  getCardSize() {
    const count = this._hass && this._config ? this._selected().orders.length : 1;
    return 1 + Math.min(count, 6) * 3;
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6, rows: "auto" };
  }

  /** The orders this card shows, and a title. */
  _selected() {
    const { orders, accounts } = findOrders(this._hass);
    const config = this._config;
    if (config.entity) {
      return { orders: orders.filter((o) => o.entity === config.entity), accounts, single: true };
    }
    if (config.entry_id) {
      return { orders: orders.filter((o) => o.entryId === config.entry_id), accounts };
    }
    return { orders, accounts };
  }

  _render(force) {
    if (!this._config || !this._hass || !this.isConnected) return;
    const selection = this._selected();
    const states = this._hass.states;
    // Re-render only when something this card shows changed (hass changes many times a second).
    const watched = [];
    for (const order of selection.orders) {
      watched.push(order.entity, states[order.entity]);
      for (const id of Object.values(order.related)) watched.push(states[id]);
      watched.push(order.device);
    }
    const signature = [this._hass.language, this._hass.themes?.darkMode, ...watched];
    if (!force && this._signature && signature.length === this._signature.length &&
      signature.every((value, index) => value === this._signature[index])) {
      return;
    }
    this._signature = signature;
    this.shadowRoot.innerHTML = `<style>${STYLE}</style><ha-card>${this._body(selection)}</ha-card>`;
    this._bind();
    this._tick();
  }

  _body({ orders, accounts, single }) {
    const hass = this._hass;
    const config = this._config;
    let title = config.title;
    if (title === undefined && !single) {
      title = config.entry_id ? accounts.get(config.entry_id)?.name || text(hass, "orders") : text(hass, "orders");
    }
    const header = title ? `<div class="header">${esc(title)}${single ? "" : `<span class="count">${orders.length}</span>`}</div>` : "";
    if (!orders.length) {
      return `${header}<div class="empty">${esc(text(hass, single ? "not_found" : "no_orders"))}</div>`;
    }
    const stage = (order) => hass.states[order.entity]?.state;
    const open = orders.filter((o) => !FINISHED.includes(stage(o)));
    const done = orders.filter((o) => FINISHED.includes(stage(o)));
    const mode = config.finished || "collapsed";
    const html = header + open.map((o) => this._order(o)).join("");
    if (!done.length || (mode === "hidden" && !single)) return html;
    if (single || !open.length) return html + done.map((o) => this._order(o)).join("");
    const isOpen = this._finishedOpen ?? mode === "expanded";
    return `${html}<details class="finished"${isOpen ? " open" : ""}><summary>${esc(text(hass, "finished"))} (${done.length})</summary>${done
      .map((o) => this._order(o))
      .join("")}</details>`;
  }

  _order(order) {
    const hass = this._hass;
    const states = hass.states;
    const status = states[order.entity];
    const attrs = status?.attributes || {};
    const stage = status?.state;
    const known = stage && STAGE_TEXT[stage];
    const get = (key) => states[order.related[key]];
    const providerStatus = Object.keys(order.related)
      .filter((key) => key.endsWith("_status"))
      .map(get)
      .find(usable);
    const orderId = attrs.order_id ? `<div class="sub mono" title="${esc(attrs.order_id)}">${esc(attrs.order_id)}</div>` : "";
    let html = `<div class="order" data-entity="${esc(order.entity)}" data-stage="${esc(stage || "")}">
      <div class="top"><span class="name" title="${esc(order.name)}">${esc(order.name)}</span>
      ${known ? `<span class="chip ${esc(stage)}">${esc(stageText(hass, stage))}</span>` : ""}</div>${orderId}`;
    if (!known) {
      return `${html}<div class="unavailable">${esc(text(hass, "unavailable"))}</div></div>`;
    }
    html += this._stepper(order, stage, attrs);
    const rows = [];
    const row = (label, value, extra = "") => rows.push(`<dt>${esc(label)}</dt><dd${extra}>${value}</dd>`);
    if (providerStatus || attrs.provider_status) {
      row(
        entityName(hass, `${attrs.provider || "provider"}_status`, "Provider status"),
        esc(providerStatus ? formatState(hass, providerStatus) : attrs.provider_status)
      );
    }
    const since = parseTime(attrs.status_since) ?? parseTime(status.last_changed);
    if (since !== null && !FINISHED.includes(stage)) {
      row(text(hass, "in_status"), "", ` data-since="${since}" title="${esc(absolute(hass, since))}"`);
    }
    const deadline = get("deadline");
    if (usable(deadline) && parseTime(deadline.state) !== null && !FINISHED.includes(stage)) {
      const time = parseTime(deadline.state);
      row(entityName(hass, "deadline", "Deadline"), "", ` data-until="${time}" title="${esc(absolute(hass, time))}"`);
    }
    const eta = get("eta");
    if (usable(eta) && parseTime(eta.state) !== null && !FINISHED.includes(stage)) {
      const time = parseTime(eta.state);
      row(entityName(hass, "eta", "Estimated completion"), "", ` data-until="${time}" title="${esc(absolute(hass, time))}"`);
    }
    const confirmations = get("confirmations");
    if (usable(confirmations)) {
      row(entityName(hass, "confirmations", "Confirmations"), esc(formatState(hass, confirmations)));
    }
    const lease = this._lease(attrs, get("lease_end"));
    if (lease) row(text(hass, "lease_end"), lease.html, lease.extra);
    for (const [key, id] of Object.entries(order.related)) {
      const amount = states[id];
      if (NOT_AMOUNTS.has(key) || key.endsWith("_status") || key.includes(".") || !usable(amount)) continue;
      if (!/^-?\d+(\.\d+)?$/.test(amount.state)) continue;
      row(entityName(hass, key, amount.attributes?.friendly_name), esc(formatState(hass, amount)));
    }
    for (const key of ["amount_in", "amount_out"]) {
      const value = attrs[key];
      if (value === undefined || value === null || order.related[key]) continue;
      const shown = typeof value === "object" ? [value.value ?? value.amount, value.unit ?? value.symbol].filter((v) => v != null).join(" ") : value;
      row(entityName(hass, key, key), esc(shown));
    }
    if (rows.length) html += `<dl>${rows.join("")}</dl>`;
    if (stage === "action_required") html += this._callToAction(order, attrs);
    html += this._links(order, attrs);
    return `${html}</div>`;
  }

  _stepper(order, stage, attrs) {
    const hass = this._hass;
    // Optional stages: shown when the order has what they are about (a payment to make,
    // confirmations to count), or is in them now.
    const path = PATH.filter(
      (s) =>
        s === stage ||
        (s === "action_required" ? "invoice" in attrs || "payment_status" in attrs : true) &&
        (s === "confirming" ? !!order.related.confirmations : true)
    );
    const failed = FAILURES.includes(stage);
    const steps = failed ? [...path.slice(0, -1), stage] : path;
    const current = steps.indexOf(stage);
    return `<ol class="steps" aria-label="${esc(entityName(hass, "status", "Status"))}">${steps
      .map((s, index) => {
        const classes = ["step"];
        let mark = "";
        if (failed) {
          if (index === current) { classes.push("current", "bad"); mark = "✕"; }
        } else if (index < current) { classes.push("done"); mark = "✓"; }
        else if (index === current) { classes.push("current"); if (s === "completed") { classes.push("ok"); mark = "✓"; } }
        return `<li class="${classes.join(" ")}"${index === current ? ' aria-current="step"' : ""}><span class="dot">${mark}</span><span class="label">${esc(stageText(hass, s))}</span></li>`;
      })
      .join("")}</ol>`;
  }

  _lease(attrs, sensor) {
    const hass = this._hass;
    const end = parseTime(usable(sensor) ? sensor.state : attrs.lease_end) ?? parseTime(attrs.lease_end);
    const left = attrs.lease_blocks_left ?? attrs.blocks_until_can_be_closed;
    const blocks = Number.isInteger(left) ? left : null;
    const blockText = blocks !== null ? ` (${new Intl.NumberFormat(language(hass)).format(blocks)} ${esc(text(hass, "blocks"))})` : "";
    if (end !== null) {
      return { html: `<span data-until="${end}"></span>${blockText}`, extra: ` title="${esc(absolute(hass, end))}"` };
    }
    if (blocks !== null && blocks > 0) {
      // About ten minutes a block.
      return { html: `≈ ${esc(relative(hass, Date.now() + blocks * 600000, Date.now()))}${blockText}`, extra: "" };
    }
    return null;
  }

  _callToAction(order, attrs) {
    const hass = this._hass;
    const invoice = typeof attrs.invoice === "string" && attrs.invoice ? attrs.invoice : null;
    if (!invoice) {
      return `<div class="cta" role="alert"><strong>${esc(text(hass, "action_title"))}</strong>${esc(text(hass, "act_elsewhere"))}</div>`;
    }
    const copied = this._copied === order.entity;
    return `<div class="cta" role="alert"><strong>${esc(text(hass, "action_title"))}</strong>${esc(text(hass, "pay_invoice"))}
      <code class="invoice mono">${esc(invoice)}</code>
      <div class="actions"><button type="button" class="copy" data-invoice="${esc(invoice)}" data-entity="${esc(order.entity)}">${esc(
        text(hass, copied ? "copied" : "copy")
      )}</button><a class="button" href="lightning:${esc(encodeURIComponent(invoice))}">${esc(text(hass, "open_wallet"))}</a></div></div>`;
  }

  _links(order, attrs) {
    const hass = this._hass;
    const links = [];
    const seen = new Set();
    for (const [url, key] of [
      [attrs.order_url, "order_page"],
      [attrs.explorer_url, "explorer"],
      [order.device.configuration_url, attrs.explorer_url ? "order_page" : "explorer"],
    ]) {
      const safe = safeUrl(url);
      if (safe && !seen.has(safe)) {
        seen.add(safe);
        links.push(`<a href="${esc(safe)}" target="_blank" rel="noopener noreferrer">${esc(text(hass, key))} ↗</a>`);
      }
    }
    return links.length ? `<div class="links">${links.join("")}</div>` : "";
  }

  _bind() {
    const details = this.shadowRoot.querySelector("details.finished");
    details?.addEventListener("toggle", () => {
      this._finishedOpen = details.open;
    });
    for (const button of this.shadowRoot.querySelectorAll("button.copy")) {
      button.addEventListener("click", () => this._copy(button));
    }
  }

  async _copy(button) {
    const invoice = button.dataset.invoice;
    try {
      await navigator.clipboard.writeText(invoice);
    } catch (err) {
      // No clipboard (plain http, old browser): select the invoice for the user to copy.
      const code = button.closest(".cta")?.querySelector(".invoice");
      if (code) window.getSelection()?.selectAllChildren(code);
      return;
    }
    this._copied = button.dataset.entity;
    button.textContent = text(this._hass, "copied");
  }

  /** Update the moving times in place (no re-render: focus and selection stay). */
  _tick() {
    if (!this._hass) return;
    const now = Date.now();
    for (const el of this.shadowRoot.querySelectorAll("[data-since]")) {
      el.textContent = duration(this._hass, now - Number(el.dataset.since));
    }
    for (const el of this.shadowRoot.querySelectorAll("[data-until]")) {
      const until = Number(el.dataset.until);
      el.textContent = relative(this._hass, until, now) + (until < now ? ` (${text(this._hass, "overdue")})` : "");
    }
  }
}

/**
 * The accounts' calendars (every order's deadline, estimate and lease end) and their figures
 * (orders completed and failed per day, from Home Assistant's statistics), as sections.
 */
function figureSections(hass) {
  const ours = Object.values(hass.entities || {}).filter((entity) => entity.platform === DOMAIN && !entity.hidden);
  const calendars = ours.filter((entity) => entity.entity_id.startsWith("calendar.")).map((entity) => entity.entity_id);
  const counts = ours
    .filter((entity) => ["orders_completed", "orders_failed"].includes(entity.translation_key))
    .map((entity) => entity.entity_id);
  const sections = [];
  if (calendars.length) {
    sections.push({
      type: "grid",
      column_span: 2,
      cards: [{ type: "calendar", entities: calendars.sort(), initial_view: "listWeek" }],
    });
  }
  if (counts.length) {
    // This month's completions (the statistic card reads the last minutes' statistics too),
    // then completions and failures per day.
    const completed = counts.filter((entityId) => hass.entities[entityId].translation_key === "orders_completed");
    sections.push({
      type: "grid",
      cards: [
        ...completed.sort().map((entity) => ({
          type: "statistic",
          entity,
          stat_type: "change",
          period: { calendar: { period: "month" } },
        })),
        {
          type: "statistics-graph",
          entities: counts.sort(),
          period: "day",
          chart_type: "bar",
          stat_types: ["change"],
          days_to_show: 30,
        },
      ],
    });
  }
  return sections;
}

/** The Orders dashboard: one section per account, each with the account's Orders card, then
 * the accounts' calendar and figures. */
class OrderTrackerDashboardStrategy extends HTMLElement {
  static async generate(config, hass) {
    const { orders, accounts } = findOrders(hass);
    const finished = FINISHED_MODES.includes(config?.finished) ? config.finished : undefined;
    // The accounts are the integration's config entries (their current titles); the account
    // devices and the orders' devices stand in if the entries cannot be read.
    try {
      for (const entry of await hass.callWS({ type: "config_entries/get", domain: DOMAIN })) {
        accounts.set(entry.entry_id, { entryId: entry.entry_id, name: entry.title || entry.entry_id });
      }
    } catch (err) {
      /* the registries' view is enough */
    }
    for (const order of orders) {
      if (order.entryId && !accounts.has(order.entryId)) {
        accounts.set(order.entryId, { entryId: order.entryId, name: order.entryId });
      }
    }
    const entries = [...accounts.values()];
    entries.sort((a, b) => a.name.localeCompare(b.name));
    const card = (entryId) => ({
      type: `custom:${CARD}`,
      entry_id: entryId,
      ...(finished ? { finished } : {}),
    });
    const sections = entries.map((account) => ({
      type: "grid",
      cards: [
        { type: "heading", heading: account.name, heading_style: "title" },
        { ...card(account.entryId), title: "" },
      ],
    }));
    if (!sections.length) {
      sections.push({ type: "grid", cards: [{ type: `custom:${CARD}` }] });
    }
    sections.push(...figureSections(hass));
    return {
      title: config?.title || text(hass, "orders"),
      views: [
        {
          title: config?.title || text(hass, "orders"),
          path: "orders",
          icon: "mdi:package-variant-closed-check",
          type: "sections",
          max_columns: 3,
          sections,
        },
      ],
    };
  }
}

if (!customElements.get(CARD)) {
  customElements.define(CARD, OrderTrackerCard);
}
if (!customElements.get("ll-strategy-dashboard-order-tracker")) {
  customElements.define("ll-strategy-dashboard-order-tracker", OrderTrackerDashboardStrategy);
}
window.customCards = window.customCards || [];
if (!window.customCards.some((card) => card.type === CARD)) {
  window.customCards.push({
    type: CARD,
    name: "Orders",
    description: "Order Tracker: where each order is in its journey, and what to do next.",
    preview: true,
    documentationURL: "https://github.com/order-tracker/order_tracker#the-orders-card-and-dashboard",
  });
}
