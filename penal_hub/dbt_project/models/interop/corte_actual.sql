{#- The registry cut-off the hub judges and publishes: the latest one. The one definition
    behind marts.alertas_interoperabilidad, the extract's rows and the quality gates. -#}
select max(fecha_corte) as fecha_corte
from {{ ref('situacion_juridica_historial') }}
