{#- GPU metrics are the SLA rows pinned to a GPU: their shared primitives agree
    row for row (a full outer join; any difference is a failure). -#}
-- It reads whole marts: the daily close and every other build run it, not a micro-batch.
{{ config(tags=['close']) }}
with

gpu as (
    select window_start, org, orchestrator_address, pipeline_id, model_id, gpu_id,
        status_samples, output_fps_sum, known_sessions_count, startup_success_sessions, total_swapped_sessions,
    from {{ ref('gpu_metrics_hourly') }}
),

sla as (
    select window_start, org, orchestrator_address, pipeline_id, model_id, gpu_id,
        status_samples, output_fps_sum, known_sessions_count, startup_success_sessions, total_swapped_sessions,
    from {{ ref('sla_hourly') }}
    where gpu_id != ''
)

select *
from gpu
full outer join sla using (window_start, org, orchestrator_address, pipeline_id, model_id, gpu_id)
where gpu.status_samples is distinct from sla.status_samples
    or abs(gpu.output_fps_sum - sla.output_fps_sum) > 1e-6
    or gpu.output_fps_sum is null
    or sla.output_fps_sum is null
    or gpu.known_sessions_count is distinct from sla.known_sessions_count
    or gpu.startup_success_sessions is distinct from sla.startup_success_sessions
    or gpu.total_swapped_sessions is distinct from sla.total_swapped_sessions
