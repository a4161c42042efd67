customElements.define("order-tracker-card", class extends HTMLElement {});
