// The reports table: on a phone, the filter form starts folded, so that the
// table is on the first screen; "Filter and sort" opens it. Without this
// script the form is open whenever a filter is in force, as on a desk.
"use strict";

const filters = document.querySelector("details.table-filters[data-fold-on-phone]");
if (filters && window.matchMedia("(max-width: 40rem)").matches) {
  filters.open = false;
}
