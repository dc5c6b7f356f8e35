import t from 'tap';
import { shouldLowerInterruptBudget } from '../src/jit.js';

t.test('lowers the interrupt budget on V8 11 only, unless the command line set one', async (t) => {
  t.equal(shouldLowerInterruptBudget('11.3.244.8-node.33', []), true, 'Node 20');
  t.equal(shouldLowerInterruptBudget('13.6.233.17-node.37', []), false, 'Node 24 has no such flag');
  t.equal(shouldLowerInterruptBudget('12.4.254.21-node.33', []), false, 'Node 22');
  t.equal(shouldLowerInterruptBudget('11.3.244.8-node.33', ['--interrupt-budget=99999']), false, 'set by the operator');
  t.equal(shouldLowerInterruptBudget('11.3.244.8-node.33', ['--interrupt_budget=99999']), false, 'underscore spelling');
  t.equal(shouldLowerInterruptBudget('11.3.244.8-node.33', ['--interrupt-budget-for-feedback-allocation=9']), true, 'another flag');
});
