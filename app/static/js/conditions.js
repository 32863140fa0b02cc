/* The browser's evaluator of show-if / required-if conditions.
 *
 * The server parses each condition once (rules/expressions.py) and sends its tree as nested lists:
 * ["var", name], ["lit", value], ["not", x], ["cmp", op, a, b], ["and", a, b], ["or", a, b].
 * This file only evaluates such trees, with exactly the Python rules (rules.expressions.compare and truthy):
 * tests/e2e/test_conditions_differential.py runs thousands of random trees and answers through both.
 */
(function (root) {
  "use strict";

  function isNumber(v) { return typeof v === "number"; }
  function isMissing(v) { return v === null || v === undefined; }

  // A value used as a condition means "is answered": null, "", [] and false are false; 0 is an answer.
  function truthy(v) {
    if (isMissing(v) || v === false) { return false; }
    if (typeof v === "string" || Array.isArray(v)) { return v.length > 0; }
    return true;
  }

  function kind(v) {
    if (isNumber(v)) { return "number"; }
    if (typeof v === "boolean") { return "boolean"; }
    if (typeof v === "string") { return "string"; }
    if (Array.isArray(v)) { return "list"; }
    return "other";
  }

  function sameKind(a, b) { var k = kind(a); return k !== "other" && k === kind(b); }

  // Python's ==: numbers and booleans compare by value (True == 1), strings by text, lists element-wise.
  function pyEqual(a, b) {
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) { return false; }
      for (var i = 0; i < a.length; i++) { if (!pyEqual(a[i], b[i])) { return false; } }
      return true;
    }
    var na = isNumber(a) || typeof a === "boolean", nb = isNumber(b) || typeof b === "boolean";
    if (na && nb) { return Number(a) === Number(b); }
    if (typeof a === "string" && typeof b === "string") { return a === b; }
    return false;
  }

  // Python orders strings by code point; JavaScript's < by UTF-16 unit, which differs above U+FFFF.
  function codePointOrder(a, b) {
    var x = Array.from(a), y = Array.from(b), n = Math.min(x.length, y.length);
    for (var i = 0; i < n; i++) {
      var d = x[i].codePointAt(0) - y[i].codePointAt(0);
      if (d !== 0) { return d; }
    }
    return x.length - y.length;
  }

  function compare(op, a, b) {
    if (isMissing(a) || isMissing(b)) { return false; }
    if (op === "=" || op === "!=") {
      var same = sameKind(a, b) && pyEqual(a, b);
      return op === "=" ? same : !same;
    }
    if (op === "contains") {
      if (Array.isArray(a)) { return a.some(function (x) { return sameKind(x, b) && pyEqual(x, b); }); }
      if (typeof a === "string" && typeof b === "string") { return a.indexOf(b) >= 0; }
      return false;
    }
    var d;
    if (isNumber(a) && isNumber(b)) { d = a < b ? -1 : (a > b ? 1 : 0); }
    else if (typeof a === "string" && typeof b === "string") { d = codePointOrder(a, b); }
    else { return false; }
    if (op === "<") { return d < 0; }
    if (op === "<=") { return d <= 0; }
    if (op === ">") { return d > 0; }
    if (op === ">=") { return d >= 0; }
    return false;
  }

  function value(node, values) {
    switch (node[0]) {
      case "var": return Object.prototype.hasOwnProperty.call(values, node[1]) ? values[node[1]] : null;
      case "lit": return node[1];
      case "not": return !truthy(value(node[1], values));
      case "cmp": return compare(node[1], value(node[2], values), value(node[3], values));
      case "and": return truthy(value(node[1], values)) && truthy(value(node[2], values));
      case "or": return truthy(value(node[1], values)) || truthy(value(node[2], values));
      default: throw new Error("unknown condition node " + node[0]);
    }
  }

  /* Evaluate a condition tree against {name: value}; an unknown name is unanswered. */
  function evaluate(tree, values) { return truthy(value(tree, values || {})); }

  root.BeikaobeiConditions = { evaluate: evaluate, truthy: truthy, compare: compare };
}(window));
