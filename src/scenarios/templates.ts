import type { ScenarioTemplate } from '../contracts/scenarios.js';
import { normalizeScenarioConfig } from '../hrl/index.js';

type Row = [name: string, display: string, description: string, income: number, fixed: number, varMean: number, varStd: number, safety: number, cash: number, risk: number, retMean: number, retStd: number];

// The original system's five templates: max_months 120, inflation 2 %,
// stochastic returns, training and reward defaults.
const ROWS: Row[] = [
  ['conservative', 'Conservative Profile', 'Steady income, large safety buffer, low risk appetite.', 2500, 1200, 600, 100, 7500, 10000, 0.3, 0.004, 0.015],
  ['balanced', 'Balanced Profile', 'Moderate income and risk, a balanced mix of saving and investing.', 3000, 1400, 700, 120, 6000, 8000, 0.5, 0.005, 0.02],
  ['aggressive', 'Aggressive Profile', 'Higher income, thin buffer, willing to take market risk.', 3500, 1500, 800, 150, 4500, 5000, 0.8, 0.007, 0.03],
  ['young_professional', 'Young Professional', 'Early career: modest income, growing savings, fairly high risk tolerance.', 2000, 770, 500, 120, 5000, 5000, 0.65, 0.005, 0.02],
  ['young_couple', 'Young Couple', 'Two incomes, high fixed costs (rent), a solid starting balance.', 3200, 1800, 800, 150, 3500, 10000, 0.55, 0.005, 0.02]
];

export const SCENARIO_TEMPLATES: readonly ScenarioTemplate[] = ROWS.map(
  ([name, display_name, description, income, fixed_expenses, variable_expense_mean, variable_expense_std, safety_threshold, initial_cash, risk_tolerance, investment_return_mean, investment_return_std]) => ({
    name,
    display_name,
    description,
    ...normalizeScenarioConfig({
      environment: {
        income,
        fixed_expenses,
        variable_expense_mean,
        variable_expense_std,
        inflation: 0.02,
        safety_threshold,
        max_months: 120,
        initial_cash,
        risk_tolerance,
        investment_return_mean,
        investment_return_std,
        investment_return_type: 'stochastic'
      }
    })
  })
);
