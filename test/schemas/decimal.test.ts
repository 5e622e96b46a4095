import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareDecimal, isDecimalString, isZeroDecimal } from '../../src/schemas/decimal.js';

describe('compareDecimal', () => {
  it('treats trailing zeros as equal', () => {
    assert.equal(compareDecimal('75848.4', '75848.40'), 0);
    assert.equal(compareDecimal('1', '1.000'), 0);
    assert.equal(compareDecimal('007', '7'), 0);
  });
  it('orders by magnitude, not by string', () => {
    assert.equal(compareDecimal('9.5', '10'), -1);
    assert.equal(compareDecimal('100', '99.99'), 1);
    assert.equal(compareDecimal('0.1', '0.09'), 1);
    assert.equal(compareDecimal('61029.9', '61030'), -1);
  });
  it('is exact beyond float precision', () => {
    assert.equal(compareDecimal('0.30000000000000001', '0.3'), 1);
    assert.equal(compareDecimal('123456789012345678.5', '123456789012345678.4'), 1);
  });
  it('handles signs', () => {
    assert.equal(compareDecimal('-1', '1'), -1);
    assert.equal(compareDecimal('-2', '-1'), -1);
    assert.equal(compareDecimal('-0', '0.000'), 0);
  });
  it('throws on a non-decimal', () => {
    assert.throws(() => compareDecimal('abc', '1'), TypeError);
    assert.throws(() => compareDecimal('1e5', '1'), TypeError);
  });
});

describe('isZeroDecimal / isDecimalString', () => {
  it('recognises every spelling of zero', () => {
    for (const zero of ['0', '0.0', '0.000', '000']) assert.equal(isZeroDecimal(zero), true, zero);
    assert.equal(isZeroDecimal('0.001'), false);
  });
  it('accepts decimal strings only', () => {
    assert.equal(isDecimalString('61029.90'), true);
    assert.equal(isDecimalString('-0.0001'), true);
    assert.equal(isDecimalString('1.'), false);
    assert.equal(isDecimalString(''), false);
    assert.equal(isDecimalString('NaN'), false);
  });
});
