{#- Admissions, releases and transfers, each once, with the person they concern. -#}
select
    m.movimiento_id,
    c.persona_key,
    m.id_interno,
    m.tipo_movimiento,
    m.fecha_movimiento,
    m.cod_ep_origen,
    m.cod_ep_destino,
    m.motivo,
    m.documento_sustento,
    m.fecha_corte as fecha_corte_entrega
from {{ ref('int_inpe__movimientos') }} as m
left join {{ ref('int_person_crosswalk') }} as c
    on c.fuente = 'inpe_registro' and c.fuente_id = m.id_interno
