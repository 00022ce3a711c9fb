{#- Who is held where, as what, on every registry cut-off: one row per person and
    extract. The registry's word on the legal situation (PROCESADO/SENTENCIADO). -#}
select
    i.fecha_corte,
    c.persona_key,
    i.id_interno,
    i.cod_ep,
    i.situacion_juridica,
    i.fecha_ingreso,
    i.expediente,
    i.delito_generico,
    i.delito_especifico,
    i.articulo_cp,
    i.pena_anios,
    i.pena_meses,
    i.fecha_sentencia,
    i.fecha_vencimiento_pena
from {{ ref('stg_inpe__internos') }} as i
inner join {{ ref('int_person_crosswalk') }} as c
    on c.fuente = 'inpe_registro' and c.fuente_id = i.id_interno
