// Shows only the extra questions of the chosen service (without script, all are shown).
(function () {
  "use strict";
  var select = document.getElementById("service_code");
  if (!select) { return; }
  function show() {
    var sets = document.querySelectorAll("fieldset.attrs");
    for (var i = 0; i < sets.length; i++) {
      sets[i].hidden = sets[i].getAttribute("data-service") !== select.value;
    }
  }
  select.addEventListener("change", show);
  show();
})();
