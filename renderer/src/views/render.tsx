import type { ReactNode } from 'react';
import type { ConnectionStatus } from '../../../main/contract';
import type { SynosClient } from '../../../main/contract/client';
import type { Command } from '../components/CommandPalette';
import { navigate as navigateTo, type Route } from '../lib/route';
import { AlertsView } from './Alerts';
import { BenchmarksView } from './Benchmarks';
import { ConsumersView } from './Consumers';
import { EngineView } from './Engine';
import { MessagesView } from './Messages';
import { KeyValueView } from './KeyValue';
import { ObjectStoresView } from './ObjectStores';
import { MetricsView } from './Metrics';
import { OutboxView } from './Outbox';
import { OverviewView } from './Overview';
import { SecurityView } from './Security';
import { ServersView } from './Servers';
import { SettingsView } from './Settings';
import { StreamsView } from './Streams';

/** The view for a route. */
export function renderView(route: Route, _status: ConnectionStatus | undefined): ReactNode {
  switch (route.view) {
    case 'overview':
      return <OverviewView />;
    case 'streams':
      return <StreamsView rest={route.rest} />;
    case 'consumers':
      return <ConsumersView rest={route.rest} />;
    case 'servers':
      return <ServersView />;
    case 'messages':
      return <MessagesView />;
    case 'kv':
      return <KeyValueView rest={route.rest} />;
    case 'objects':
      return <ObjectStoresView rest={route.rest} />;
    case 'engine':
      return <EngineView />;
    case 'security':
      return <SecurityView />;
    case 'benchmarks':
      return <BenchmarksView />;
    case 'outbox':
      return <OutboxView />;
    case 'alerts':
      return <AlertsView alertId={route.rest[0]} />;
    case 'metrics':
      return <MetricsView />;
    case 'settings':
      return <SettingsView />;
    default: {
      const unknown: never = route.view;
      return unknown;
    }
  }
}

type Act = (label: string, fn: () => Promise<unknown>) => () => Promise<void>;

/** Common actions of the views, for the command palette. */
export function viewActions(client: SynosClient, act: Act): Command[] {
  return [
    {
      id: 'drift',
      group: 'Action',
      label: 'Check topology drift',
      keywords: 'streams provision',
      run: () => navigateTo('streams')
    },
    {
      id: 'tail',
      group: 'Action',
      label: 'Start a live tail',
      keywords: 'messages subscribe sub',
      run: () => navigateTo('messages')
    },
    {
      id: 'publish',
      group: 'Action',
      label: 'Publish a message',
      keywords: 'messages pub envelope',
      run: () => navigateTo('messages')
    },
    { id: 'bench', group: 'Action', label: 'Run a benchmark', keywords: 'bench', run: () => navigateTo('benchmarks') },
    {
      id: 'emergency-release',
      group: 'Action',
      label: 'Release the emergency switch (close breakers)',
      keywords: 'breakers outbox',
      run: act('Release emergency switch', () => client.call('resilience.emergency', { active: false }))
    },
    {
      id: 'dlq-retry',
      group: 'Action',
      label: 'Retry all dead letters',
      keywords: 'dlq outbox',
      run: act('Retry dead letters', () => client.call('dlq.retry', { all: true }))
    }
  ];
}
