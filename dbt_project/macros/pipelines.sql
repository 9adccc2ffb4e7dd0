{#- Canonical (pipeline_id, model_id) from a pipeline hint and a model hint
    (reference-behaviour.md §2.3). Emits two select items. -#}
{% macro normalized_pipeline_and_model(pipeline_hint, model_hint, pipeline_alias='pipeline_id', model_alias='model_id') -%}
    {%- set hint = "lower(trim(coalesce(" ~ pipeline_hint ~ ", '')))" -%}
    {%- set model = "trim(coalesce(" ~ model_hint ~ ", ''))" -%}
    {%- set canonical_model -%}
        case
            when lower({{ model }}) in ('streamdiffusion', 'streamdiffusion-sdxl', 'streamdiffusion-sdxl-v2v',
                                        'streamdiffusion-sdxl-faceid')
                then lower({{ model }})
            when {{ model }} != '' then {{ model }}
            when {{ hint }} in ('streamdiffusion', 'streamdiffusion-sdxl', 'streamdiffusion-sdxl-v2v',
                                'streamdiffusion-sdxl-faceid')
                then {{ hint }}
            when {{ hint }} in ('pip_sdxl-turbo', 'pip_sd-turbo') then 'streamdiffusion-sdxl'
            when {{ hint }} = 'pip_sdxl-turbo-v2v' then 'streamdiffusion-sdxl-v2v'
            when {{ hint }} = 'pip_sdxl-turbo-faceid' then 'streamdiffusion-sdxl-faceid'
            else ''
        end
    {%- endset -%}
    {%- set listed_pipeline -%}
        case
            when {{ hint }} in ('live-video-to-video', 'text-to-image', 'image-to-image', 'image-to-video',
                                'text-to-video', 'audio-to-text', 'text-to-speech', 'upscale', 'llm',
                                'image-to-text', 'segment-anything-2', 'noop')
                then {{ hint }}
            when starts_with({{ canonical_model }}, 'streamdiffusion') then 'live-video-to-video'
            else ''
        end
    {%- endset -%}
    case when lower({{ listed_pipeline }}) = lower({{ canonical_model }}) then '' else {{ listed_pipeline }} end
        as {{ pipeline_alias }},
    {{ canonical_model }} as {{ model_alias }}
{%- endmacro %}

{#- The capability family of an offer (reference-behaviour.md §3.8): builtin when
    its pipeline is one of the catalog's builtin pipelines (capabilities 27-36),
    byoc otherwise, since a BYOC offer names its external capability where a
    builtin one names its pipeline. -#}
{% macro capability_family(catalog_capability_id) -%}
    case when {{ catalog_capability_id }} between 27 and 36 then 'builtin' else 'byoc' end
{%- endmacro %}
