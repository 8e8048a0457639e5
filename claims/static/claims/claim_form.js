/* The claim form shows only the value fields its predicate takes: an entity, a quantity
 * (low, best, high) or a text; none for a predicate without a value. Hidden fields are
 * disabled, so a value typed for another predicate is not sent. The value types come from
 * the page (#cw-predicate-value-types, {predicate id: value type}). Without a chosen
 * predicate, or without this script, every value field is shown. */
(function () {
  "use strict";

  var FIELDS = {
    entity: ["object_entity"],
    quantity: ["quantity_low", "quantity_best", "quantity_high"],
    text: ["text_value"],
  };

  function rowOf(name) {
    return document.querySelector(".form-row.field-" + name);
  }

  function show(valueType) {
    Object.keys(FIELDS).forEach(function (type) {
      var visible = !valueType || valueType === type;
      FIELDS[type].forEach(function (name) {
        var row = rowOf(name);
        if (!row) {
          return;
        }
        row.style.display = visible ? "" : "none";
        row.querySelectorAll("input, select, textarea").forEach(function (input) {
          input.disabled = !visible;
        });
      });
    });
  }

  function start() {
    var types = document.getElementById("cw-predicate-value-types");
    var predicate = document.getElementById("id_predicate");
    if (!types || !predicate) {
      return; // a read-only page: nothing to choose
    }
    var valueTypes = JSON.parse(types.textContent);
    var update = function () {
      show(valueTypes[predicate.value]);
    };
    predicate.addEventListener("change", update);
    // The autocomplete (select2) announces a choice through jQuery, not a DOM event.
    if (window.django && window.django.jQuery) {
      window.django.jQuery(predicate).on("change", update);
    }
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
