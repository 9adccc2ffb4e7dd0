{#- Every row satisfies the expression (as dbt_utils.expression_is_true; packages
    cannot be downloaded where this project builds). -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
