"""L4 — the concrete chips and pipelines of the seed papers, composed from the layers below.

- ``imc_mapping`` / ``imc_memory`` / ``imc_pipeline``: CNN inference pipelined over in-memory-computing cores
  (Dazzi et al. 2021) — kernel replication and splitting, activation layouts, the timestep dataflow simulator.
- ``moneta_performance``: the MONETA PIM ConvSNN chip's throughput, image rates, memory and efficiency
  (Kim et al. 2022).
- ``moneta_learning``: MONETA's ConvSNN learning — the chip's LIF form, cross-depth inhibition, stochastic STDP
  under the two dataflow schedules and the central filter-update table, the hybrid BP + STDP network
  (``from neurofab.systems import moneta_learning``).
- ``ubrain``: μBrain (Stuijt et al. 2021) — event-driven integer neurons, arbiters, AER, the offline flow
  (``from neurofab.systems import ubrain``).
- ``always_on``: the always-on sub-µW binary SNN (Chundi et al. 2021) — hidden-neuron FSM, fixed-priority
  arbiters with starvation, the power and gating model (``from neurofab.systems import always_on``).
- ``path_planner``: the neural wavefront path planner (Steffen et al. 2021) — place cells on a voxel map, a
  one-spike STDP wave, the synaptic vector field and path search, timed stage by stage
  (``from neurofab.systems import path_planner``).
"""

from neurofab.systems.imc_mapping import (
    NETWORK_INPUT,
    CnnSpec,
    ConvLayerSpec,
    CoreArray,
    LayerMapping,
    NetworkMapping,
    aspect_ratio,
    aspect_ratio_method1,
    map_layer,
    map_network,
    max_replicas,
    minimum_aspect_ratio,
    receptive_field_union,
    replica_positions,
    replicated_rows,
    utilization,
)
from neurofab.systems.imc_memory import (
    LAYOUTS,
    Layout,
    LayoutMetrics,
    PlipMemoryControl,
    input_memory_words,
    layout_metrics,
    memory_words,
    pixel_bit_addresses,
    words_spanned,
)
from neurofab.systems.imc_pipeline import (
    CoreNode,
    Link,
    PipelineConfig,
    PipelineGraph,
    PipelineResult,
    build_graph,
    channel_groups,
    feed_need,
    first_needed,
    kernel_row_reads,
    link_bandwidth_eq7,
    resnet32,
    simulate,
    speedup_replicas,
)
from neurofab.systems.moneta_performance import (
    MonetaChipConfig,
    MonetaNetwork,
    MonetaSystem,
    SnnConvLayer,
    moneta_convsnn,
    tops_per_mm2,
    tops_per_watt,
)

__all__ = [
    "LAYOUTS",
    "NETWORK_INPUT",
    "CnnSpec",
    "ConvLayerSpec",
    "CoreArray",
    "CoreNode",
    "LayerMapping",
    "Layout",
    "LayoutMetrics",
    "Link",
    "MonetaChipConfig",
    "MonetaNetwork",
    "MonetaSystem",
    "NetworkMapping",
    "PipelineConfig",
    "PipelineGraph",
    "PipelineResult",
    "PlipMemoryControl",
    "SnnConvLayer",
    "aspect_ratio",
    "aspect_ratio_method1",
    "build_graph",
    "channel_groups",
    "feed_need",
    "first_needed",
    "input_memory_words",
    "kernel_row_reads",
    "layout_metrics",
    "link_bandwidth_eq7",
    "map_layer",
    "map_network",
    "max_replicas",
    "memory_words",
    "minimum_aspect_ratio",
    "moneta_convsnn",
    "pixel_bit_addresses",
    "receptive_field_union",
    "replica_positions",
    "replicated_rows",
    "resnet32",
    "simulate",
    "speedup_replicas",
    "tops_per_mm2",
    "tops_per_watt",
    "utilization",
    "words_spanned",
]
