-- Key of situacion_juridica_historial: one row per registry cut-off and inmate.
select fecha_corte, id_interno, count(*) as filas
from {{ ref('situacion_juridica_historial') }}
group by fecha_corte, id_interno
having count(*) > 1
