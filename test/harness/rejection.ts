import { ContractError } from '../../main/contract';

/** The typed error `p` rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(p: Promise<unknown>): Promise<ContractError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof ContractError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}
