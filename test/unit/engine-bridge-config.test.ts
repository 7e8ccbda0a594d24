/**
 * The `engine` and `bridge` sections of config.json: absent → the defaults of docs/architecture.md §2/§3;
 * partial overrides merged onto them; every kind of bad value a CONFIG_INVALID error naming the
 * file and the field.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_OUTBOUND_MAPPING } from '../../main/contract/messages';
import { DEFAULT_ENGINE_CONFIG, engineConfigChanges } from '../../main/engine/config';
import { DEFAULT_BRIDGE_SETTINGS, subjectMatchesFilter, subjectsWithoutStream } from '../../main/bridge/settings';
import { defaultBridgeOptions } from '../../main/bridge/bridge';
import { loadWithConfig as load, rejectedConfig as invalid } from '../harness/config-file';

describe('engine section of config.json', () => {
  it('absent: the engine gets the defaults of docs/architecture.md §3', () => {
    const config = load({});
    expect(config.engine).toEqual(DEFAULT_ENGINE_CONFIG);
    expect(config.engine).not.toBe(DEFAULT_ENGINE_CONFIG);
    expect(config.engine.attention.halfLifeMs).toBe(30_000);
    expect(config.engine.memory.workingCapacity).toBe(7);
    expect(config.engine.load.capacityPerSecond).toBe(50);
  });

  it('partial overrides are merged onto the defaults, deep, without touching their siblings', () => {
    const config = load({
      engine: {
        attention: { halfLifeMs: 10_000, salience: { healthy: 0.05 } },
        emotion: { baseline: { valence: -0.5 } },
        load: { capacityPerSecond: 200.5 },
        problems: {
          initialWeights: { service_unhealthy: { notify_operator: 0.95 } },
          actions: ['investigate', 'notify_operator']
        }
      }
    });
    expect(config.engine.attention.halfLifeMs).toBe(10_000);
    expect(config.engine.attention.salience.healthy).toBe(0.05);
    expect(config.engine.attention.salience.unhealthy).toBe(1);
    expect(config.engine.attention.focusThreshold).toBe(0.2);
    expect(config.engine.emotion.baseline).toEqual({ valence: -0.5, arousal: 0.3, confidence: 0.5, curiosity: 0.5 });
    expect(config.engine.load.capacityPerSecond).toBe(200.5);
    expect(config.engine.problems.initialWeights.service_unhealthy).toEqual({
      investigate: 0.5,
      restart_service: 0.6,
      scale_out: 0.3,
      notify_operator: 0.95
    });
    expect(config.engine.problems.initialWeights.security_threat).toEqual(
      DEFAULT_ENGINE_CONFIG.problems.initialWeights.security_threat
    );
    // Arrays are replaced whole, not merged by index.
    expect(config.engine.problems.actions).toEqual(['investigate', 'notify_operator']);
    // The defaults themselves are untouched by a merge.
    expect(DEFAULT_ENGINE_CONFIG.attention.halfLifeMs).toBe(30_000);
    // What the bridge logs at start: only what the operator changed.
    expect(engineConfigChanges(config.engine)).toEqual({
      'attention.halfLifeMs': 10_000,
      'attention.salience.healthy': 0.05,
      'emotion.baseline.valence': -0.5,
      'load.capacityPerSecond': 200.5,
      'problems.actions': ['investigate', 'notify_operator'],
      'problems.initialWeights.service_unhealthy.notify_operator': 0.95
    });
    expect(engineConfigChanges(load({}).engine)).toEqual({});
  });

  it.each([
    [{ attention: { halfLifeMs: 0 } }, /engine\.attention\.halfLifeMs/],
    [{ emotion: { halfLifeMs: -5 } }, /engine\.emotion\.halfLifeMs/],
    [{ attention: { halfLifeMs: 1.5 } }, /engine\.attention\.halfLifeMs/],
    [{ attention: { salience: { threat: 1.2 } } }, /engine\.attention\.salience\.threat/],
    [{ attention: { salience: { healthy: -0.1 } } }, /engine\.attention\.salience\.healthy/],
    [{ attention: { salience: { unheathy: 0.5 } } }, /engine\.attention\.salience.*unheathy/],
    [{ emotion: { baseline: { valence: -1.5 } } }, /engine\.emotion\.baseline\.valence/],
    [{ load: { capacityPerSecond: 0 } }, /engine\.load\.capacityPerSecond/],
    [{ memory: { workingCapacity: 0 } }, /engine\.memory\.workingCapacity/],
    [{ memory: { longTermCapacity: 'big' } }, /engine\.memory\.longTermCapacity/],
    [{ problems: { learningRate: 0 } }, /engine\.problems\.learningRate/],
    [{ problems: { actions: [] } }, /engine\.problems\.actions/],
    [{ problems: { actions: ['investigate', 'reboot'] } }, /engine\.problems\.actions\.1/],
    [
      { problems: { actions: ['investigate', 'investigate'] } },
      /engine\.problems\.actions: must not list an action twice/
    ],
    [{ problems: { initialWeights: { disk_full: { investigate: 0.5 } } } }, /engine\.problems\.initialWeights/],
    [
      { problems: { initialWeights: { service_stopped: { scale_out: 2 } } } },
      /engine\.problems\.initialWeights\.service_stopped\.scale_out/
    ],
    [{ stateChange: { minDelta: 1.1 } }, /engine\.stateChange\.minDelta/],
    [{ moods: {} }, /engine.*moods/],
    // Rules between values, checked once merged onto the defaults.
    [
      { problems: { resourceClearAtOrBelow: 0.99 } },
      /engine\.problems\.resourceClearAtOrBelow: must be at most problems\.resourceOpenAbove \(0\.95\)/
    ],
    [
      { learning: { focusedAbove: 0.2 } },
      /engine\.learning\.exploratoryBelow: must be at most learning\.focusedAbove \(0\.2\)/
    ]
  ])('rejects engine %j naming the field', (engine, field) => {
    expect(invalid({ engine }).message).toMatch(field);
  });
});

describe('bridge section of config.json', () => {
  it('absent: docs/architecture.md §2 mapping, heartbeat 10 s on health.control_center, summary 30 s on metrics.control_center', () => {
    const config = load({});
    expect(config.bridge).toEqual(DEFAULT_BRIDGE_SETTINGS);
    expect(config.bridge.outboundMapping).toEqual(DEFAULT_OUTBOUND_MAPPING);
    expect(config.bridge.heartbeatSubject).toBe('health.control_center');
    expect(config.bridge.heartbeatIntervalMs).toBe(10_000);
    expect(config.bridge.metricsSubject).toBe('metrics.control_center');
    expect(config.bridge.metricsIntervalMs).toBe(30_000);
    expect(config.bridge.recentEvents).toBe(1000);
  });

  it('partial overrides: one forward remapped, one turned off with null, the rest kept', () => {
    const config = load({
      bridge: {
        outboundMapping: {
          'consciousness.decision_made': 'orchestrator.ops.decisions',
          'consciousness.memory_update': null
        },
        heartbeatIntervalMs: 2000,
        metricsSubject: 'metrics.cc.west',
        recentEvents: 50,
        store: { maxInvalid: 500 }
      }
    });
    expect(config.bridge.outboundMapping).toEqual({
      ...DEFAULT_OUTBOUND_MAPPING,
      'consciousness.decision_made': 'orchestrator.ops.decisions',
      'consciousness.memory_update': null
    });
    expect(config.bridge.heartbeatIntervalMs).toBe(2000);
    expect(config.bridge.heartbeatSubject).toBe('health.control_center');
    expect(config.bridge.metricsSubject).toBe('metrics.cc.west');
    expect(config.bridge.recentEvents).toBe(50);
    expect(config.bridge.store).toEqual({ ...DEFAULT_BRIDGE_SETTINGS.store, maxInvalid: 500 });

    // The bridge's options come from these settings.
    const options = defaultBridgeOptions(config.bridge);
    expect(options.outboundMapping['consciousness.decision_made']).toBe('orchestrator.ops.decisions');
    expect(options.outboundMapping['consciousness.memory_update']).toBeNull();
    expect(options.heartbeatIntervalMs).toBe(2000);
    expect(options.metricsSubject).toBe('metrics.cc.west');
    expect(options.store.maxInvalid).toBe(500);
  });

  it.each([
    [{ outboundMapping: { 'consciousness.dream': 'orchestrator.x' } }, /bridge\.outboundMapping.*consciousness\.dream/],
    [
      { outboundMapping: { 'consciousness.error': 'orchestrator.*.error' } },
      /bridge\.outboundMapping\.consciousness\.error: subject must not contain wildcards/
    ],
    [
      { outboundMapping: { 'consciousness.error': 'orchestrator.>' } },
      /bridge\.outboundMapping\.consciousness\.error: subject must not contain wildcards/
    ],
    [
      { outboundMapping: { 'consciousness.error': 'orchestrator..error' } },
      /bridge\.outboundMapping\.consciousness\.error: subject must not have empty tokens/
    ],
    [
      { outboundMapping: { 'consciousness.error': 'has space' } },
      /bridge\.outboundMapping\.consciousness\.error: subject must not contain spaces/
    ],
    [
      { outboundMapping: { 'consciousness.error': '' } },
      /bridge\.outboundMapping\.consciousness\.error: subject must not be empty/
    ],
    [{ outboundMapping: { 'consciousness.error': 42 } }, /bridge\.outboundMapping\.consciousness\.error/],
    // A subject the bridge consumes itself would be read back as foreign input.
    [
      { outboundMapping: { 'consciousness.decision_made': 'orchestrator.service.decision' } },
      /bridge\.outboundMapping\.consciousness\.decision_made: .*orchestrator\.service\.>.*consumes itself/
    ],
    [{ heartbeatSubject: 'security.heartbeat' }, /bridge\.heartbeatSubject: .*security\.>/],
    [{ heartbeatSubject: 'health.*' }, /bridge\.heartbeatSubject: subject must not contain wildcards/],
    [{ heartbeatIntervalMs: 0 }, /bridge\.heartbeatIntervalMs/],
    [{ heartbeatIntervalMs: 99 }, /bridge\.heartbeatIntervalMs/],
    [{ metricsIntervalMs: 7_200_000 }, /bridge\.metricsIntervalMs/],
    [{ tickIntervalMs: 5 }, /bridge\.tickIntervalMs/],
    [{ recentEvents: -1 }, /bridge\.recentEvents/],
    [{ pullBatch: 0 }, /bridge\.pullBatch/],
    [{ maxMessageBytes: 10 }, /bridge\.maxMessageBytes/],
    [{ source: '  ' }, /bridge\.source/],
    [{ store: { maxInvalid: 0 } }, /bridge\.store\.maxInvalid/],
    [{ store: { rows: 5 } }, /bridge\.store.*rows/],
    [{ heartbeat: 1000 }, /bridge.*heartbeat/],
    [{ nakBaseDelayMs: 60_000 }, /bridge\.nakMaxDelayMs: must be at least nakBaseDelayMs \(60000\)/]
  ])('rejects bridge %j naming the field', (bridge, field) => {
    expect(invalid({ bridge }).message).toMatch(field);
  });

  it('finds the subjects no provisioned stream captures', () => {
    expect(subjectMatchesFilter('orchestrator.ops.decisions', 'orchestrator.>')).toBe(true);
    expect(subjectMatchesFilter('orchestrator', 'orchestrator.>')).toBe(false);
    expect(subjectMatchesFilter('health.cc', 'health.*')).toBe(true);
    expect(subjectMatchesFilter('health.cc.x', 'health.*')).toBe(false);
    expect(subjectMatchesFilter('a.b', 'a.b')).toBe(true);
    const streams = ['consciousness.>', 'orchestrator.>', 'health.>', 'metrics.>'];
    expect(subjectsWithoutStream(DEFAULT_BRIDGE_SETTINGS, streams)).toEqual([]);
    const settings = {
      ...DEFAULT_BRIDGE_SETTINGS,
      heartbeatSubject: 'cc.heartbeat',
      outboundMapping: { ...DEFAULT_BRIDGE_SETTINGS.outboundMapping, 'consciousness.error': 'ops.errors' }
    };
    expect(subjectsWithoutStream(settings, streams)).toEqual(['ops.errors', 'cc.heartbeat']);
  });
});
