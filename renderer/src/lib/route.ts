import { useEffect, useState } from 'react';
import { viewFromHash, type ViewId } from '../views/registry';

/** The current location: the view and the path segments after it (`#/streams/ORDERS/messages`). */
export interface Route {
  view: ViewId;
  rest: string[];
}

function parse(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return { view: viewFromHash(hash), rest: parts.slice(1) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parse(window.location.hash));
  useEffect(() => {
    const onHash = (): void => setRoute(parse(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

/** The hash link of a view, with optional sub-path segments (encoded). */
export function hrefOf(view: ViewId, ...rest: string[]): string {
  return `#/${[view, ...rest.map(encodeURIComponent)].join('/')}`;
}

export function navigate(view: ViewId, ...rest: string[]): void {
  window.location.hash = hrefOf(view, ...rest);
}
