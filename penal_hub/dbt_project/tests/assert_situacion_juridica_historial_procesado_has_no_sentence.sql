-- feeds.md: sentence columns are empty for a PROCESADO.
select fecha_corte, id_interno
from {{ ref('situacion_juridica_historial') }}
where situacion_juridica = 'PROCESADO'
  and (pena_anios is not null or pena_meses is not null
       or fecha_sentencia is not null or fecha_vencimiento_pena is not null)
